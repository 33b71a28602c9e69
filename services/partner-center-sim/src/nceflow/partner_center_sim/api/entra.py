"""Microsoft Entra ID's token endpoint, as far as Partner Center clients use it.

`POST /{tenant}/oauth2/token` (v1: `resource`) and `POST /{tenant}/oauth2/v2.0/token`
(v2: `scope`), form-encoded, with `grant_type` `client_credentials` (App-only) or
`refresh_token` (App+User); and, v2 only, `authorization_code` for the marketplace's sign-in
app (an `id_token`, see `sign_in.py`). Failures use Entra's OAuth error JSON (`error`,
`error_description`, `error_codes`, ...). As at Entra, v1 answers `expires_in` as a string of
seconds and v2 as a number.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import SecretStr

from nceflow.partner_center_sim.api.auth import ContextDep
from nceflow.partner_center_sim.api.sign_in import issuer_base, pkce_matches, sign_in_app
from nceflow.partner_center_sim.context import SimContext
from nceflow.partner_center_sim.domain.seed import Partner
from nceflow.partner_center_sim.domain.tokens import TokenKind

router = APIRouter(tags=["entra"])

_FORM = "application/x-www-form-urlencoded"
_TENANT_ALIASES = {"common", "organizations"}


class OAuthError(Exception):
    """An Entra ID token endpoint refusal."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.code = code
        self.description = description

    def response(self) -> Response:
        """Entra's error JSON."""
        trace_id = str(uuid.uuid4())
        correlation_id = str(uuid.uuid4())
        body = {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description} "
            f"Trace ID: {trace_id} Correlation ID: {correlation_id} "
            f"Timestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}",
            "error_codes": [self.code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }
        return JSONResponse(body, status_code=self.status)


def _form(raw: bytes, content_type: str) -> dict[str, str]:
    if not content_type.lower().startswith(_FORM):
        raise OAuthError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        )
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise OAuthError(400, "invalid_request", 90014, "The request body is malformed.") from exc
    return {k: v[0] for k, v in parsed.items()}


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError(
            400,
            "invalid_request",
            900144,
            f"The request body must contain the following parameter: '{name}'.",
        )
    return value


def _partner_for_app(ctx: SimContext, tenant: str, client_id: str) -> Partner:
    known_tenants = {p.tenant_id.lower() for p in ctx.seed.partners}
    if tenant.lower() not in known_tenants | _TENANT_ALIASES:
        raise OAuthError(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
    for partner in ctx.seed.partners:
        if partner.app.client_id.lower() == client_id.lower():
            if tenant.lower() in known_tenants and tenant.lower() != partner.tenant_id.lower():
                break
            return partner
    raise OAuthError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
    )


def _check_secret(expected: SecretStr, form: dict[str, str]) -> None:
    """The app's `client_secret`, as Entra refuses a missing or wrong one."""
    secret = form.get("client_secret")
    if not secret:
        raise OAuthError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    if not secrets.compare_digest(secret.encode(), expected.get_secret_value().encode()):
        raise OAuthError(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            "the client secret value, not the client secret ID.",
        )


def _check_audience(ctx: SimContext, form: dict[str, str], v2: bool) -> str:
    resource = ctx.seed.entra.resource.rstrip("/")
    if v2:
        scopes = _required(form, "scope").split()
        if not any(s.rstrip("/").startswith(resource) for s in scopes):
            raise OAuthError(
                400,
                "invalid_scope",
                70011,
                f"The provided value for the input parameter 'scope' is not valid. "
                f"The scope {' '.join(scopes)} is not valid.",
            )
        return " ".join(scopes)
    requested = _required(form, "resource").rstrip("/")
    if requested != resource:
        raise OAuthError(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {requested} was not found in the tenant.",
        )
    return requested


async def _token(request: Request, ctx: SimContext, tenant: str, v2: bool) -> Response:
    try:
        form = _form(await request.body(), request.headers.get("content-type", ""))
        grant_type = _required(form, "grant_type")
        if grant_type == "authorization_code" and v2:
            return _redeem_code(request, ctx, form)
        if grant_type not in {"client_credentials", "refresh_token"}:
            raise OAuthError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant_type}'.",
            )
        partner = _partner_for_app(ctx, tenant, _required(form, "client_id"))
        _check_secret(partner.app.client_secret, form)
        audience = _check_audience(ctx, form, v2)
        if grant_type == "refresh_token":
            presented = _required(form, "refresh_token")
            seeded = partner.app.refresh_token.get_secret_value()
            if presented != seeded and ctx.tokens.refresh_owner(presented) != partner.key:
                raise OAuthError(
                    400,
                    "invalid_grant",
                    70000,
                    "Provided grant is invalid or malformed.",
                )
            if ctx.config.refresh_tokens_expire_on_rotation and ctx.tokens.was_rotated(presented):
                raise OAuthError(
                    400,
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to "
                    "inactivity. Send a new interactive authorization request for this user "
                    "and resource.",
                )
    except OAuthError as exc:
        return exc.response()
    kind = TokenKind.APP_USER if grant_type == "refresh_token" else TokenKind.APP
    lifetime = ctx.config.token_lifetime_seconds
    access_token = ctx.tokens.issue_access(partner.key, kind, lifetime)
    now = int(time.time())
    body: dict[str, Any] = {"token_type": "Bearer"}
    if v2:
        body.update({"scope": audience, "expires_in": lifetime, "ext_expires_in": lifetime})
    else:
        body.update(
            {
                "expires_in": str(lifetime),
                "ext_expires_in": str(lifetime),
                "expires_on": str(now + lifetime),
                "not_before": str(now),
                "resource": audience,
            }
        )
        if kind is TokenKind.APP_USER:
            body["scope"] = "user_impersonation"
    body["access_token"] = access_token
    if kind is TokenKind.APP_USER:
        body["refresh_token"] = ctx.tokens.issue_refresh(partner.key)
        if ctx.config.refresh_tokens_expire_on_rotation:
            ctx.tokens.rotate(form["refresh_token"])
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _redeem_code(request: Request, ctx: SimContext, form: dict[str, str]) -> Response:
    """`grant_type=authorization_code`: the sign-in app's code, for an ID token."""
    client_id = _required(form, "client_id")
    app = sign_in_app(ctx, client_id)
    if app is None:
        raise OAuthError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory.",
        )
    _check_secret(app.client_secret, form)
    grant = ctx.sign_in.redeem(_required(form, "code"))
    if grant is None or grant.client_id.lower() != app.client_id.lower():
        raise OAuthError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed.")
    if grant.redeemed:
        raise OAuthError(
            400,
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid "
            "code or use an existing refresh token.",
        )
    if grant.expires_at <= time.time():
        raise OAuthError(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity.",
        )
    if form.get("redirect_uri") != grant.redirect_uri:
        raise OAuthError(
            400,
            "invalid_grant",
            50011,
            "The redirect URI does not match the one of the authorization request.",
        )
    if grant.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise OAuthError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'code_verifier'.",
            )
        if not pkce_matches(grant, verifier):
            raise OAuthError(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the "
                "authorization request.",
            )
    lifetime = 3600
    body = {
        "token_type": "Bearer",
        "scope": grant.scope,
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        # Opaque: the marketplace asked for no API, only who the user is.
        "access_token": "sim-user." + secrets.token_urlsafe(32),
        "id_token": ctx.sign_in.id_token(issuer_base(request), grant),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post("/{tenant}/oauth2/token", summary="Entra ID v1 token endpoint")
async def token_v1(tenant: str, request: Request, ctx: ContextDep) -> Response:
    """Issue an access token for the `resource` (v1 endpoint)."""
    return await _token(request, ctx, tenant, v2=False)


@router.post("/{tenant}/oauth2/v2.0/token", summary="Entra ID v2 token endpoint")
async def token_v2(tenant: str, request: Request, ctx: ContextDep) -> Response:
    """Issue an access token for the `scope` (v2 endpoint)."""
    return await _token(request, ctx, tenant, v2=True)
