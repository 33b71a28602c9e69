"""Every error the API returns is `application/problem+json` (RFC 9457) with `errors[]`."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from nceflow.catalog.api.schemas import FieldError, Problem
from nceflow.catalog.domain.query import InvalidCursorError
from nceflow.catalog.snapshot import UnknownCatalogueError, UnknownPlanError, UnknownTileError

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://nceflow.dev/problems/"
_log = structlog.get_logger("nceflow.catalog")


class RequestProblemError(Exception):
    """A request the API refuses with a 4xx, raised by a route and rendered by the handler."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        errors: Sequence[FieldError] = (),
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response; `kind` names the problem type (default: the status phrase)."""
    title = HTTPStatus(status).phrase
    problem = Problem(
        type=_TYPE_BASE + (kind or title.lower().replace(" ", "-")),
        title=title,
        status=status,
        detail=detail,
        errors=list(errors),
    )
    return Response(
        problem.model_dump_json().encode(),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_name(loc: Sequence[Any]) -> str:
    # FastAPI locations look like ("query", "term"); the client knows the parameter by name alone.
    parts = [str(part) for part in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def _validation_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field=_field_name(err.get("loc", ())), reason=str(err.get("msg", "invalid")))
        for err in exc.errors()
    ]
    names = ", ".join(sorted({e.field for e in errors}))
    return problem_response(
        422, f"Invalid value for: {names}", kind="invalid-parameter", errors=errors
    )


def _request_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestProblemError)
    return problem_response(
        exc.status, exc.detail, kind=exc.kind, errors=exc.errors, headers=exc.headers
    )


def _not_found(kind: str, what: str) -> Any:
    def handler(_: Request, exc: Exception) -> Response:
        return problem_response(404, f"No {what} has the id {exc.args[0]!r}", kind=kind)

    return handler


def _invalid_cursor(_: Request, exc: Exception) -> Response:
    reason = "not a cursor issued by this service; use next_cursor from the previous page"
    return problem_response(
        422,
        "Invalid value for: cursor",
        kind="invalid-parameter",
        errors=[FieldError(field="cursor", reason=reason)],
    )


def _http_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(exc.status_code, str(exc.detail), headers=headers)


def _unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("unhandled error", path=request.url.path)
    return problem_response(500, "The catalog failed to answer; this is a bug on our side.")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of `app` a problem+json response."""
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(RequestProblemError, _request_problem)
    app.add_exception_handler(UnknownCatalogueError, _not_found("unknown-catalogue", "catalogue"))
    app.add_exception_handler(UnknownTileError, _not_found("unknown-tile", "tile"))
    app.add_exception_handler(UnknownPlanError, _not_found("unknown-plan", "plan"))
    app.add_exception_handler(InvalidCursorError, _invalid_cursor)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_exception_handler(Exception, _unexpected)
