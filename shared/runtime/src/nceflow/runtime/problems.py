"""RFC 9457 problem details (`application/problem+json`) for every error a service's API returns.

The generic cases every FastAPI app meets (invalid request, Starlette's 404/405, an unexpected
exception) are handled here once; each service adds its own domain-error mappings on top and keeps
its own problem type URIs, so that clients matching on `type` see no difference.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
# The `type` base of nceflow's problems; checkout keeps its older `urn:nceflow:problem:`.
PROBLEM_TYPE_BASE = "https://nceflow.dev/problems/"

# Where FastAPI says an invalid value came from; the first item of a validation error's `loc`.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class FieldError(BaseModel):
    """One reason a request was refused, naming the field it concerns.

    `code` is for machines (a UI picks its own words by field and code): pydantic's error type
    for invalid input (`missing`, `string_pattern_mismatch`, `string_too_long`…), the service's
    own for a rule (`taken`, `not_accepted`…); `reason` is a sentence for developers' logs."""

    field: str
    reason: str
    code: str = "invalid"


class Problem(BaseModel):
    """RFC 9457 problem details; extension members (e.g. `current_step`) are allowed."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class FieldReason(Protocol):
    """Anything naming a field and why it was refused (a `FieldError`, a domain problem...)."""

    @property
    def field(self) -> str: ...

    @property
    def reason(self) -> str: ...


FieldNaming = Callable[[Sequence[Any]], str]
"""Turns a validation location such as `("query", "term")` into the field name clients see."""

DomainMapping = Callable[[Any], Response]
"""Renders one domain exception (of the type it is registered for) as a problem response."""


def _code_of(error: FieldReason) -> str:
    code = getattr(error, "code", None)
    return code if isinstance(code, str) and code else "invalid"


def status_kind(status: int) -> str:
    """The problem kind named after a status phrase: 404 -> `not-found`."""
    return HTTPStatus(status).phrase.lower().replace(" ", "-")


def problem_response(
    status: int,
    detail: str,
    *,
    type_base: str,
    kind: str | None = None,
    title: str | None = None,
    errors: Iterable[FieldReason] = (),
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response of type `type_base + kind`.

    `kind` and `title` default to the status phrase; `extensions` become extra members of the body.
    """
    problem = Problem(
        type=type_base + (kind or status_kind(status)),
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=[
            FieldError(field=error.field, reason=error.reason, code=_code_of(error))
            for error in errors
        ],
        **dict(extensions or {}),
    )
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=status,
        headers=dict(headers) if headers else None,
        media_type=PROBLEM_JSON,
    )


def bare_field_name(loc: Sequence[Any]) -> str:
    """`("query", "term")` -> `term`: the client knows a parameter by its name alone."""
    parts = [str(part) for part in loc]
    return ".".join(parts[1:] if len(parts) > 1 else parts)


def located_field_name(loc: Sequence[Any]) -> str:
    """`("header", "Idempotency-Key")` -> `header.Idempotency-Key`; body fields stay bare.

    For APIs whose bodies and parameters may share names, so only the body goes unqualified.
    """
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS:
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if where == "body" and rest else ".".join([where, *rest])
    return ".".join(parts)


@dataclass(frozen=True)
class ProblemKind:
    """The `type` suffix, and optionally the title and detail, of one generic problem."""

    kind: str
    title: str | None = None  # None: the status phrase
    detail: str | None = None  # None: a detail the handler composes


class RequestProblemError(Exception):
    """A request a route refuses with a 4xx, rendered with the app's problem type base."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        errors: Sequence[FieldReason] = (),
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers


def install_problem_handlers(
    app: FastAPI,
    *,
    type_base: str,
    service_name: str,
    domain_errors: Mapping[type[Exception], DomainMapping] | None = None,
    field_name: FieldNaming = bare_field_name,
    invalid: ProblemKind = ProblemKind("invalid-request"),
    internal: ProblemKind = ProblemKind("internal-server-error"),
    http_kind: Callable[[int], str] = status_kind,
) -> None:
    """Make every error of `app` a problem+json response.

    `domain_errors` maps each of the service's own exception types to its problem; Starlette picks
    the handler of the nearest class in the exception's MRO, so a mapping for a base class covers
    its subclasses and registration order does not matter.
    """
    log = structlog.get_logger(f"nceflow.{service_name}")

    async def validation_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldError(
                field=field_name(err.get("loc", ())),
                reason=str(err.get("msg", "invalid")),
                code=str(err.get("type", "invalid")),
            )
            for err in exc.errors()
        ]
        names = ", ".join(sorted({error.field for error in errors}))
        return problem_response(
            422,
            invalid.detail or f"Invalid value for: {names}",
            type_base=type_base,
            kind=invalid.kind,
            title=invalid.title,
            errors=errors,
        )

    async def request_problem(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestProblemError)
        return problem_response(
            exc.status,
            exc.detail,
            type_base=type_base,
            kind=exc.kind,
            errors=exc.errors,
            headers=exc.headers,
        )

    async def http_problem(_: Request, exc: Exception) -> Response:
        # Starlette's own 404/405, and any HTTPException a dependency raises.
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            exc.status_code,
            str(exc.detail),
            type_base=type_base,
            kind=http_kind(exc.status_code),
            headers=exc.headers,
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        # The traceback goes to the log only; the body must not leak internals.
        log.exception("unhandled error", path=request.url.path)
        return problem_response(
            500,
            internal.detail or f"The {service_name} failed to answer; this is a bug on our side.",
            type_base=type_base,
            kind=internal.kind,
            title=internal.title,
        )

    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(RequestProblemError, request_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(Exception, unexpected)
    for exc_type, mapping in (domain_errors or {}).items():
        app.add_exception_handler(exc_type, _ignoring_request(mapping))


def _ignoring_request(
    mapping: DomainMapping,
) -> Callable[[Request, Exception], Awaitable[Response]]:
    # Async, so Starlette calls it on the event loop instead of hopping to a worker thread.
    async def handler(_: Request, exc: Exception) -> Response:
        return mapping(exc)

    return handler
