"""Microsoft Entra ID's sign-in, as a marketplace uses it to learn whose user a customer is.

The OpenID Connect authorization-code flow of the Microsoft identity platform (v2.0), after
Microsoft's pages "Microsoft identity platform and OAuth 2.0 authorization code flow", "OpenID
Connect on the Microsoft identity platform" and "ID token claims reference":

- `GET /{tenant}/v2.0/.well-known/openid-configuration` and `GET /{tenant}/discovery/v2.0/keys`
  (the JWKS the ID tokens are signed with, RS256, one key made when the simulator starts);
- `GET /{tenant}/oauth2/v2.0/authorize` shows a sign-in page; its form posts back to the same
  path, and a right user and password are sent to the `redirect_uri` with `code` and `state`;
- the code is redeemed at the token endpoint (`grant_type=authorization_code`, in `entra.py`)
  for an `id_token` whose `tid` is the user's tenant.

`{tenant}` is a tenant id, a customer's domain, `organizations` or `common`; a tenant-specific
authority refuses users of other tenants (AADSTS50020), as Entra does. Errors before the redirect
URI is known to be registered are pages, never redirects (AADSTS700016, 90002, 50011); later ones
go to the redirect URI as `error`, `error_description` and `state`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nceflow.partner_center_sim.api.auth import ContextDep
from nceflow.partner_center_sim.context import SimContext
from nceflow.partner_center_sim.domain.id_tokens import CODE_LIFETIME_SECONDS, AuthorizationCode
from nceflow.partner_center_sim.domain.seed import SignInApp

router = APIRouter(tags=["entra sign-in"])

_ANY_TENANT = {"organizations", "common"}
_LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}
_PARAMS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "response_mode",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
    "domain_hint",
    "prompt",
)


class SignInError(Exception):
    """An AADSTS error on the way to a code: a page, or a redirect once the URI is trusted."""

    def __init__(self, error: str, code: int, description: str, *, redirect: bool) -> None:
        super().__init__(description)
        self.error = error
        self.code = code
        self.description = f"AADSTS{code}: {description}"
        self.redirect = redirect


def issuer_base(request: Request) -> str:
    """This simulator's address, standing in for `https://login.microsoftonline.com`."""
    return str(request.base_url).rstrip("/")


def sign_in_app(ctx: SimContext, client_id: str) -> SignInApp | None:
    """The seeded sign-in app with that client id."""
    return next(
        (a for a in ctx.seed.sign_in_apps if a.client_id.lower() == client_id.lower()), None
    )


def resolve_tenant(ctx: SimContext, tenant: str) -> str | None:
    """The tenant id `tenant` names (None for organizations/common); raises for an unknown one."""
    wanted = tenant.lower()
    if wanted in _ANY_TENANT:
        return None
    for record in ctx.state.customers.values():
        if wanted in (record.id.lower(), record.domain.lower()):
            return record.id
    for partner in ctx.seed.partners:
        if wanted == partner.tenant_id.lower():
            return partner.tenant_id
    raise SignInError("invalid_request", 90002, f"Tenant '{tenant}' not found.", redirect=False)


def redirect_registered(app: SignInApp, redirect_uri: str) -> bool:
    """Exact match, except that a loopback URI's port is ignored (as Entra does)."""
    asked = urlsplit(redirect_uri)
    if asked.query or asked.fragment:
        return False
    for registered in app.redirect_uris:
        known = urlsplit(registered)
        if redirect_uri == registered:
            return True
        if (
            known.hostname in _LOOPBACK
            and asked.scheme == known.scheme
            and asked.hostname == known.hostname
            and asked.path == known.path
        ):
            return True
    return False


@dataclass(frozen=True)
class AuthorizeRequest:
    """An authorize request's parameters, checked."""

    tenant: str
    tenant_id: str | None
    app: SignInApp
    params: dict[str, str]

    @property
    def redirect_uri(self) -> str:
        return self.params["redirect_uri"]


def check_authorize(ctx: SimContext, tenant: str, params: dict[str, str]) -> AuthorizeRequest:
    """Validate an authorize request in Entra's order: app, tenant, redirect URI, the rest."""
    client_id = params.get("client_id", "")
    app = sign_in_app(ctx, client_id) if client_id else None
    if app is None:
        raise SignInError(
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
            redirect=False,
        )
    tenant_id = resolve_tenant(ctx, tenant)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not redirect_registered(app, redirect_uri):
        raise SignInError(
            "invalid_request",
            50011,
            f"The redirect URI '{redirect_uri}' specified in the request does not match the "
            f"redirect URIs configured for the application '{app.client_id}'.",
            redirect=False,
        )
    if params.get("response_type") != "code":
        raise SignInError(
            "unsupported_response_type",
            700054,
            f"response_type '{params.get('response_type', '')}' is not enabled for the "
            "application.",
            redirect=True,
        )
    if "openid" not in params.get("scope", "").split():
        raise SignInError(
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope' with 'openid'.",
            redirect=True,
        )
    if params.get("response_mode", "query") != "query":
        raise SignInError(
            "invalid_request",
            900144,
            "response_mode must be 'query' for this application.",
            redirect=True,
        )
    method = params.get("code_challenge_method", "plain" if params.get("code_challenge") else "")
    if params.get("code_challenge") and method not in ("S256", "plain"):
        raise SignInError(
            "invalid_request",
            501491,
            "Invalid size of Code_Challenge parameter or unsupported code_challenge_method.",
            redirect=True,
        )
    return AuthorizeRequest(tenant, tenant_id, app, params)


def _error_page(error: SignInError) -> HTMLResponse:
    body = f"""<p class="error" role="alert">{html.escape(error.description)}</p>"""
    return HTMLResponse(
        _page("Sign in to your account", "Sorry, but we're having trouble signing you in.", body),
        status_code=400,
    )


def _refusal(ctx: SimContext, tenant: str, params: dict[str, str], error: SignInError) -> Response:
    """The error page, or (once app and redirect URI are trusted) a redirect with the error."""
    app = sign_in_app(ctx, params.get("client_id", ""))
    if not error.redirect or app is None:
        return _error_page(error)
    return _redirect_error(AuthorizeRequest(tenant, None, app, params), error)


def _redirect_error(request: AuthorizeRequest, error: SignInError) -> RedirectResponse:
    query = {"error": error.error, "error_description": error.description}
    if request.params.get("state"):
        query["state"] = request.params["state"]
    return RedirectResponse(f"{request.redirect_uri}?{urlencode(query)}", status_code=302)


def _page(title: str, heading: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: "Segoe UI", system-ui, sans-serif; background: #f2f2f2; margin: 0; }}
main {{ max-width: 440px; margin: 10vh auto; background: #fff; padding: 44px;
        box-shadow: 0 2px 6px rgba(0,0,0,.2); }}
.brand {{ font-weight: 600; color: #5e5e5e; margin: 0 0 16px; }}
h1 {{ font-size: 1.5rem; font-weight: 600; margin: 0 0 16px; }}
label {{ display: block; margin: 16px 0 4px; }}
input {{ width: 100%; box-sizing: border-box; padding: 8px; font-size: 1rem;
         border: 1px solid #666; }}
button {{ margin-top: 24px; background: #0067b8; color: #fff; border: 0; padding: 10px 32px;
          font-size: 1rem; }}
:focus-visible {{ outline: 3px solid #000; outline-offset: 2px; }}
.error {{ color: #a4262c; }}
.note {{ color: #5e5e5e; font-size: .875rem; }}
</style>
</head>
<body>
<main>
<p class="brand">Microsoft (simulated by nceflow)</p>
<h1>{html.escape(heading)}</h1>
{body}
</main>
</body>
</html>
"""


def _sign_in_page(
    path: str, request: AuthorizeRequest, *, login: str = "", error: str = ""
) -> HTMLResponse:
    app_name = html.escape(request.app.name)
    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{html.escape(request.params[name])}">'
        for name in _PARAMS
        if request.params.get(name)
    )
    alert = f'<p class="error" role="alert" id="error">{html.escape(error)}</p>' if error else ""
    described = ' aria-describedby="error" aria-invalid="true"' if error else ""
    body = f"""<p class="note">to continue to {app_name}</p>
{alert}
<form method="post" action="{html.escape(path)}">
{hidden}
<label for="login">Email</label>
<input id="login" name="login" type="email" autocomplete="username" required
       value="{html.escape(login or request.params.get("login_hint", ""))}"{described}>
<label for="passwd">Password</label>
<input id="passwd" name="passwd" type="password" autocomplete="current-password" required{described}>
<button type="submit">Sign in</button>
</form>"""  # noqa: E501
    return HTMLResponse(_page("Sign in to your account", "Sign in", body))


@router.get("/{tenant}/v2.0/.well-known/openid-configuration", summary="OpenID configuration")
async def openid_configuration(tenant: str, request: Request, ctx: ContextDep) -> Response:
    """The OpenID Connect metadata document of the tenant (or of `organizations`/`common`)."""
    try:
        tenant_id = resolve_tenant(ctx, tenant)
    except SignInError as exc:
        return JSONResponse({"error": exc.error, "error_description": exc.description}, 400)
    base = issuer_base(request)
    return JSONResponse(
        {
            "issuer": f"{base}/{tenant_id or '{tenantid}'}/v2.0",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "nbf",
                "name",
                "nonce",
                "oid",
                "preferred_username",
                "tid",
                "ver",
            ],
            "tenant_region_scope": "NA",
        }
    )


@router.get("/{tenant}/discovery/v2.0/keys", summary="ID token signing keys (JWKS)")
async def keys(tenant: str, ctx: ContextDep) -> Response:
    """The keys the simulator signs ID tokens with."""
    return JSONResponse(ctx.sign_in.jwks())


@router.get("/{tenant}/oauth2/v2.0/authorize", summary="Sign-in page (authorization code flow)")
async def authorize(tenant: str, request: Request, ctx: ContextDep) -> Response:
    """Check the request and show the sign-in page."""
    params = {k: v for k, v in request.query_params.items() if k in _PARAMS}
    try:
        checked = check_authorize(ctx, tenant, params)
    except SignInError as exc:
        return _refusal(ctx, tenant, params, exc)
    return _sign_in_page(request.url.path, checked)


@router.post("/{tenant}/oauth2/v2.0/authorize", summary="Sign in (the page's form)")
async def sign_in(tenant: str, request: Request, ctx: ContextDep) -> Response:
    """A user and password: a code to the redirect URI, or the page again with Entra's error."""
    form = await request.form()
    params = {k: str(v) for k, v in form.items() if k in _PARAMS}
    try:
        checked = check_authorize(ctx, tenant, params)
    except SignInError as exc:
        return _refusal(ctx, tenant, params, exc)
    login = str(form.get("login", "")).strip()
    user = ctx.state.users.get(login.lower())
    if user is None or not _same(user.password, str(form.get("passwd", ""))):
        return _sign_in_page(
            request.url.path,
            checked,
            login=login,
            error="Your account or password is incorrect. (AADSTS50126)",
        )
    if checked.tenant_id is not None and user.tenant_id != checked.tenant_id:
        return _sign_in_page(
            request.url.path,
            checked,
            login=login,
            error=f"AADSTS50020: User account '{user.user_principal_name}' from identity "
            f"provider 'https://sts.windows.net/{user.tenant_id}/' does not exist in tenant "
            f"'{checked.tenant}' and cannot access the application '{checked.app.client_id}' "
            "in that tenant.",
        )
    code = ctx.sign_in.issue(
        AuthorizationCode(
            client_id=checked.app.client_id,
            redirect_uri=checked.redirect_uri,
            user=user,
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method", "plain"),
            scope=params.get("scope", ""),
            expires_at=time.time() + CODE_LIFETIME_SECONDS,
        )
    )
    query = {"code": code, "session_state": str(uuid.uuid4())}
    if params.get("state"):
        query["state"] = params["state"]
    return RedirectResponse(f"{checked.redirect_uri}?{urlencode(query)}", status_code=302)


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison that takes any text (a typed password may not be ASCII)."""
    return secrets.compare_digest(given.encode(), expected.encode())


def pkce_matches(grant: AuthorizationCode, verifier: str) -> bool:
    """RFC 7636: S256 compares base64url(sha256(verifier)); plain compares the text."""
    assert grant.code_challenge is not None
    if grant.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return _same(computed, grant.code_challenge)
    return _same(verifier, grant.code_challenge)
