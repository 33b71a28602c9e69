"""Every error the API returns is `application/problem+json` (RFC 9457) with `errors[]`.

The generic cases live in `nceflow.runtime.problems`; this module maps the catalog's own errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.responses import Response

from nceflow.catalog.domain.query import InvalidCursorError
from nceflow.catalog.domain.snapshot import (
    UnknownCatalogueError,
    UnknownPlanError,
    UnknownTileError,
)
from nceflow.runtime import problems
from nceflow.runtime.problems import (
    PROBLEM_JSON,
    PROBLEM_TYPE_BASE,
    DomainMapping,
    FieldError,
    FieldReason,
    ProblemKind,
    RequestProblemError,
)

__all__ = [
    "PROBLEM_JSON",
    "RequestProblemError",
    "install_problem_handlers",
]


def _problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    errors: Sequence[FieldReason] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """A catalog problem+json response; `kind` defaults to the status phrase."""
    return problems.problem_response(
        status, detail, type_base=PROBLEM_TYPE_BASE, kind=kind, errors=errors, headers=headers
    )


def _not_found(kind: str, what: str) -> DomainMapping:
    def render(exc: Exception) -> Response:
        return _problem(404, f"No {what} has the id {exc.args[0]!r}", kind=kind)

    return render


def _invalid_cursor(_: InvalidCursorError) -> Response:
    reason = "not a cursor issued by this service; use next_cursor from the previous page"
    return _problem(
        422,
        "Invalid value for: cursor",
        kind="invalid-parameter",
        errors=[FieldError(field="cursor", reason=reason)],
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of `app` a problem+json response."""
    problems.install_problem_handlers(
        app,
        type_base=PROBLEM_TYPE_BASE,
        service_name="catalog",
        invalid=ProblemKind("invalid-parameter"),
        domain_errors={
            UnknownCatalogueError: _not_found("unknown-catalogue", "catalogue"),
            UnknownTileError: _not_found("unknown-tile", "tile"),
            UnknownPlanError: _not_found("unknown-plan", "plan"),
            InvalidCursorError: _invalid_cursor,
        },
    )
