"""Signing a customer in with Microsoft (OpenID Connect authorization-code flow, Entra ID v2).

Checkout is the confidential client: it builds the authorize URL, redeems the code at the token
endpoint with its own secret and PKCE verifier, and verifies the ID token itself (signature from
the tenant's JWKS, `aud`, `iss`, `exp`, `nonce`). Only then does it trust `tid`: the tenant the
user belongs to. Production uses `https://login.microsoftonline.com`; dev and tests the
simulator, which serves the same endpoints.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from pydantic import SecretStr

from nceflow.checkout.domain.draft import SignedInUser
from nceflow.checkout.domain.sign_in import PendingSignIn, SignInRefused
from nceflow.checkout.errors import DependencyUnavailable

_DEPENDENCY = "microsoft_sign_in"
# Signing keys are re-read at most this often when a token names a kid we do not have (a key
# rotation), and in any case after this long: a key Microsoft removed stops being trusted.
_KEYS_REFRESH_MIN_SECONDS = 60.0
_KEYS_MAX_AGE_SECONDS = 3600.0
_LEEWAY_SECONDS = 60


def code_challenge(verifier: str) -> str:
    """PKCE S256: base64url(sha256(verifier)) without padding (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class MicrosoftSignIn:
    """The marketplace's Entra app: authorize URLs out, verified users back."""

    def __init__(
        self,
        *,
        authority_url: str,
        client_id: str,
        client_secret: SecretStr,
        http: httpx.AsyncClient,
    ) -> None:
        self._authority = authority_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}  # tenant -> kid -> key
        self._keys_read_at: dict[str, float] = {}

    def authorize_url(self, pending: PendingSignIn) -> str:
        """Where the customer's browser goes to sign in (a user of `pending.tenant_id` only)."""
        query = {
            "client_id": self._client_id,
            "response_type": "code",
            "redirect_uri": pending.redirect_uri,
            "response_mode": "query",
            "scope": "openid profile",
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
            "domain_hint": pending.primary_domain,
            "prompt": "select_account",
        }
        return f"{self._authority}/{pending.tenant_id}/oauth2/v2.0/authorize?{urlencode(query)}"

    async def redeem(self, pending: PendingSignIn, code: str) -> SignedInUser:
        """Redeem `code` and return who signed in, from the verified ID token."""
        token_url = f"{self._authority}/{pending.tenant_id}/oauth2/v2.0/token"
        form = {
            "grant_type": "authorization_code",
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.code_verifier,
            "scope": "openid profile",
        }
        try:
            response = await self._http.post(token_url, data=form)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise DependencyUnavailable(_DEPENDENCY, f"token endpoint {response.status_code}")
        body = _json(response)
        if response.status_code != 200:
            # Entra's OAuth error JSON: `error` and an `error_description` with its AADSTS code.
            raise SignInRefused(
                str(body.get("error_description") or body.get("error") or "refused")
            )
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefused("Microsoft returned no ID token")
        claims = await self._verified(id_token, pending)
        return SignedInUser(
            tenant_id=str(claims["tid"]).lower(),
            username=str(claims.get("preferred_username") or claims.get("name") or claims["oid"]),
        )

    async def _verified(self, id_token: str, pending: PendingSignIn) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._key(pending.tenant_id, str(kid))
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=["RS256"],
                audience=self._client_id,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "tid", "oid"]},
            )
        except jwt.PyJWTError as exc:
            raise SignInRefused(f"the ID token does not verify: {exc}") from exc
        # Multi-tenant apps check the issuer against the token's own tenant (Microsoft's
        # guidance): a token from another tenant's issuer is refused, as is one for another
        # sign-in (`nonce`).
        if claims["iss"] != f"{self._authority}/{claims['tid']}/v2.0":
            raise SignInRefused("the ID token's issuer does not match its tenant")
        if claims.get("nonce") != pending.nonce:
            raise SignInRefused("the ID token was issued for another sign-in")
        return claims

    async def _key(self, tenant: str, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        read_at = self._keys_read_at.get(tenant)
        known = self._keys.get(tenant, {})
        stale = read_at is None or now - read_at > _KEYS_MAX_AGE_SECONDS
        unknown = kid not in known and (
            read_at is None or now - read_at > _KEYS_REFRESH_MIN_SECONDS
        )
        if stale or unknown:
            known = await self._read_keys(tenant)
            self._keys[tenant] = known
            self._keys_read_at[tenant] = now
        key = known.get(kid)
        if key is None:
            raise SignInRefused("the ID token is signed with a key Microsoft does not publish")
        return key

    async def _read_keys(self, tenant: str) -> dict[str, jwt.PyJWK]:
        url = f"{self._authority}/{tenant}/discovery/v2.0/keys"
        try:
            response = await self._http.get(url)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise DependencyUnavailable(_DEPENDENCY, f"signing keys {response.status_code}")
        try:
            keys = jwt.PyJWKSet.from_dict(_json(response)).keys
        except jwt.PyJWTError as exc:
            raise DependencyUnavailable(_DEPENDENCY, f"signing keys unreadable: {exc}") from exc
        return {str(key.key_id): key for key in keys if key.key_id}


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
