"""Who is calling: the bearer token, the MS-RequestId header and the partner's rate limit.

Partner Center checks the token first (401), then the request (400), then throttles (429).
Calls Microsoft documents as App+User only (relationship requests, agreements, qualifications,
indirect resellers) refuse an App-only token with 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from nceflow.partner_center_sim.api.errors import (
    ACCESS_DENIED,
    FORBIDDEN,
    TOKEN_MISSING,
    PartnerCenterError,
    bad_request,
)
from nceflow.partner_center_sim.api.ratelimit import ThrottledError
from nceflow.partner_center_sim.api.requestlog import SCOPE_KEY
from nceflow.partner_center_sim.context import SimContext, get_context
from nceflow.partner_center_sim.domain.seed import Partner
from nceflow.partner_center_sim.domain.tokens import TokenKind

_CHALLENGE = {"WWW-Authenticate": "OAuth realm=urn:cpsvc:cpid:nceflow-sim"}


@dataclass(frozen=True, slots=True)
class Caller:
    """The partner behind a request, and the request's ids."""

    partner: Partner
    kind: TokenKind
    request_id: str
    correlation_id: str | None

    @property
    def user(self) -> str:
        """The id recorded as `lastModifiedUser` / `userId`."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.partner.key}:{self.kind}"))


def _unauthorized(code: int, description: str) -> PartnerCenterError:
    return PartnerCenterError(401, code, description, headers=dict(_CHALLENGE))


async def authenticate(
    request: Request, ctx: Annotated[SimContext, Depends(get_context)]
) -> Caller:
    """Check the bearer token, MS-RequestId and the partner's rate limit."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise _unauthorized(TOKEN_MISSING, "Partner Token missing in request context")
    grant = ctx.tokens.grant(token.strip()) if scheme.lower() == "bearer" else None
    if grant is None:
        raise _unauthorized(ACCESS_DENIED, "Access denied: the access token is invalid or expired")
    partner = ctx.seed.partner(grant.partner_key)
    facts = request.scope.get(SCOPE_KEY)
    if facts is not None:
        facts["partner"] = partner.tenant_id
    request_id = request.headers.get("ms-requestid")
    if not request_id:
        raise bad_request("The MS-RequestId header is required.")
    try:
        uuid.UUID(request_id)
    except ValueError as exc:
        raise bad_request(f"The MS-RequestId header {request_id!r} is not a GUID.") from exc
    retry_after = ctx.limiter.admit(partner.tenant_id, ctx.config.rate_limit_per_minute)
    if retry_after is not None:
        raise ThrottledError(retry_after)
    return Caller(partner, grant.kind, request_id, request.headers.get("ms-correlationid"))


def ensure_app_user(caller: Caller) -> None:
    """Refuse an App-only token where Partner Center requires App+User credentials."""
    if caller.kind is not TokenKind.APP_USER:
        raise PartnerCenterError(
            403,
            FORBIDDEN,
            "Access denied: this operation requires App+User credentials.",
        )


async def require_app_user(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Refuse App-only tokens where Partner Center requires App+User credentials."""
    ensure_app_user(caller)
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]
AppUserDep = Annotated[Caller, Depends(require_app_user)]
ContextDep = Annotated[SimContext, Depends(get_context)]
