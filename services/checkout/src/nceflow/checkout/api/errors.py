"""Every error as RFC 9457 problem+json, mapped once from domain, service and adapter errors.

The generic cases live in `nceflow.runtime.problems`; this module maps checkout's own errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from nceflow.checkout.api.http import etag
from nceflow.checkout.auth import AuthenticationError
from nceflow.checkout.domain.errors import (
    AlreadyConfirmed,
    DraftClosed,
    DraftIncomplete,
    InvalidStepData,
    PricesChanged,
    StepOutOfOrder,
    TooManyDrafts,
    WizardError,
)
from nceflow.checkout.domain.order import AdminCredentialsState
from nceflow.checkout.errors import (
    AdminCredentialsUnavailable,
    ConcurrentUpdate,
    DependencyUnavailable,
    NotFound,
    PreconditionFailed,
    TooManyLookups,
    UnknownReseller,
)
from nceflow.runtime import problems
from nceflow.runtime.problems import PROBLEM_JSON, FieldReason, ProblemKind, located_field_name

__all__ = [
    "PROBLEM_JSON",
    "body_too_large",
    "install_error_handlers",
    "problem",
]

_log = structlog.get_logger(__name__)

_TYPE = "urn:nceflow:problem:"


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Iterable[FieldReason] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A checkout problem+json response; `extra` become extension members of the body."""
    return problems.problem_response(
        status,
        detail,
        type_base=_TYPE,
        kind=slug,
        title=title,
        errors=errors or (),
        headers=headers,
        extensions=extra,
    )


def _wizard_problem(exc: WizardError) -> JSONResponse:
    errors = exc.errors
    match exc:
        case InvalidStepData():
            return problem(422, "invalid-step-data", "Invalid step data", exc.detail, errors)
        case StepOutOfOrder():
            return problem(
                409,
                "step-out-of-order",
                "Step out of order",
                exc.detail,
                errors,
                current_step=exc.current_step,
            )
        case DraftIncomplete():
            return problem(
                409,
                "draft-incomplete",
                "Draft not complete",
                exc.detail,
                errors,
                current_step=exc.current_step,
            )
        case DraftClosed():
            return problem(
                409, "draft-closed", "Draft closed", exc.detail, errors, status_of_draft=exc.status
            )
        case AlreadyConfirmed():
            return problem(
                409,
                "already-confirmed",
                "Already bought",
                exc.detail,
                errors,
                order_id=exc.order_id,
            )
        case PricesChanged():
            return problem(409, "prices-changed", "Prices changed", exc.detail, errors)
        case TooManyDrafts():
            return problem(
                422, "too-many-drafts", "Too many open drafts", exc.detail, errors, limit=exc.limit
            )
    return problem(409, "conflict", "Conflict", exc.detail, errors)


def _unauthenticated(_: AuthenticationError) -> JSONResponse:
    return problem(
        401,
        "unauthenticated",
        "Not authenticated",
        "Send a valid bearer token of the marketplace.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _unknown_reseller(exc: UnknownReseller) -> JSONResponse:
    return problem(403, "unknown-reseller", "Unknown reseller", f"No reseller {exc} sells here.")


def _not_found(exc: NotFound) -> JSONResponse:
    return problem(404, "not-found", "Not found", f"No draft or order {exc} for this account.")


def _no_admin_credentials(exc: AdminCredentialsUnavailable) -> JSONResponse:
    state = exc.state.value if exc.state is not None else None
    match exc.state:
        case AdminCredentialsState.PENDING:
            return problem(
                409,
                "admin-credentials-pending",
                "Not created yet",
                "Partner Center has not created the tenant yet; ask again once the order moves.",
                headers={"Retry-After": "5"},
                state=state,
            )
        case AdminCredentialsState.SHOWN:
            return problem(
                410,
                "admin-credentials-shown",
                "Shown already",
                "The admin password was shown once and is not kept. If it is lost, the reseller "
                "resets it in Partner Center.",
                state=state,
            )
        case AdminCredentialsState.UNAVAILABLE:
            return problem(
                410,
                "admin-credentials-unavailable",
                "Not kept",
                "The admin password expired unseen; the reseller resets it in Partner Center.",
                state=state,
            )
    return problem(
        404,
        "no-admin-credentials",
        "No admin credentials",
        f"Order {exc.order_id} uses an existing tenant: it has no new admin password.",
        state=state,
    )


def _stale(exc: PreconditionFailed) -> JSONResponse:
    return problem(
        412,
        "stale-version",
        "Precondition failed",
        f"If-Match is stale: {exc}; read the draft again.",
        headers={"ETag": etag(exc.current_version)},
    )


def _too_many_lookups(exc: TooManyLookups) -> JSONResponse:
    wait = max(1, math.ceil(exc.retry_after))
    return problem(
        429,
        "too-many-lookups",
        "Too many lookups",
        f"An account can look up at most {exc.limit} domains a minute; try again in {wait} s.",
        headers={"Retry-After": str(wait)},
        limit=exc.limit,
    )


def _busy(exc: ConcurrentUpdate) -> JSONResponse:
    return problem(409, "concurrent-update", "Changed meanwhile", f"{exc}; try again.")


def _dependency(exc: DependencyUnavailable) -> JSONResponse:
    _log.warning("dependency unavailable", dependency=exc.dependency, error=exc.detail)
    return problem(
        503,
        "dependency-unavailable",
        "Service unavailable",
        f"{exc.dependency} is not answering; try again shortly.",
        headers={"Retry-After": "5"},
    )


def _redis(exc: RedisError) -> JSONResponse:
    _log.warning("redis unavailable", error=f"{type(exc).__name__}: {exc}")
    return problem(
        503,
        "storage-unavailable",
        "Service unavailable",
        "Drafts cannot be read or saved right now; try again shortly.",
        headers={"Retry-After": "2"},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every error the service can raise to problem+json."""
    problems.install_problem_handlers(
        app,
        type_base=_TYPE,
        service_name="checkout",
        # Parameters keep their location (`header.Idempotency-Key`); body fields go bare.
        field_name=located_field_name,
        invalid=ProblemKind("invalid-request", "Invalid request", "The request is not valid."),
        internal=ProblemKind("internal", "Internal error", "Something went wrong on our side."),
        http_kind=lambda status: f"http-{status}",
        domain_errors={
            AuthenticationError: _unauthenticated,
            UnknownReseller: _unknown_reseller,
            NotFound: _not_found,
            PreconditionFailed: _stale,
            AdminCredentialsUnavailable: _no_admin_credentials,
            TooManyLookups: _too_many_lookups,
            WizardError: _wizard_problem,
            ConcurrentUpdate: _busy,
            DependencyUnavailable: _dependency,
            RedisError: _redis,
        },
    )


def body_too_large(max_bytes: int) -> JSONResponse:
    """The 413 `BodySizeLimit` answers (problem+json)."""
    return problem(
        413,
        "body-too-large",
        "Request body too large",
        f"Request bodies are limited to {max_bytes} bytes.",
    )
