"""Access tokens for Partner Center from Microsoft Entra ID, behind one `TokenProvider` interface.

Two kinds ("Partner Center authentication"): App-only (client credentials) and App+User (a partner
user's refresh token, obtained once with MFA). Tokens live about an hour; they are cached per kind
and refreshed `refresh_margin` seconds before expiry. Concurrent callers that find the cache stale
share one refresh (single flight): the first takes a per-kind lock and fetches, the others wait on
the same lock and then read the fresh token. Tokens and secrets are `SecretStr` everywhere and
never appear in a repr, a log line or an exception.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import httpx
import structlog
from pydantic import SecretStr

from nceflow.partner_center.errors import (
    PartnerCenterAuthenticationError,
    PartnerCenterConfigurationError,
    PartnerCenterConnectionError,
    PartnerCenterServerError,
    PartnerCenterTimeoutError,
)
from nceflow.partner_center.refresh_tokens import RefreshTokenStore, refresh_token_store
from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.timing import Clock, monotonic

_log = structlog.get_logger(__name__)


class TokenKind(StrEnum):
    """Which credentials a call needs."""

    APP_ONLY = "app_only"
    APP_USER = "app_user"


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and when (on the provider's clock) it stops being usable."""

    value: SecretStr = field(repr=False)
    expires_at: float

    def __repr__(self) -> str:
        return f"AccessToken(value='**********', expires_at={self.expires_at!r})"


class TokenProvider(Protocol):
    """Gives a valid bearer token of the requested kind."""

    async def get_token(self, kind: TokenKind) -> SecretStr:
        """A token valid for at least the refresh margin."""
        ...

    def invalidate(self, kind: TokenKind, token: SecretStr) -> None:
        """Forget `token` (e.g. Partner Center answered 401 with it)."""
        ...


class EntraIdTokenProvider:
    """Fetches tokens from `{authority_url}/{tenant_id}/oauth2/token` (Entra ID v1 endpoint)."""

    def __init__(
        self,
        *,
        authority_url: str,
        tenant_id: str,
        client_id: str,
        client_secret: SecretStr,
        refresh_token: SecretStr | None,
        resource: str,
        http: httpx.AsyncClient,
        refresh_margin_seconds: float = 300.0,
        refresh_token_store: RefreshTokenStore | None = None,
        clock: Clock = monotonic,
    ) -> None:
        self._token_url = f"{authority_url.rstrip('/')}/{tenant_id}/oauth2/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = refresh_token_store
        # A token saved by an earlier run is newer than the configured one (rotation).
        saved = refresh_token_store.load() if refresh_token_store is not None else None
        self._refresh_token = saved or refresh_token
        self._resource = resource
        self._http = http
        self._margin = refresh_margin_seconds
        self._clock = clock
        self._cache: dict[TokenKind, AccessToken] = {}
        self._locks: dict[TokenKind, asyncio.Lock] = {kind: asyncio.Lock() for kind in TokenKind}
        self.fetch_count = 0  # how many times Entra ID was asked; tests check single flight

    @classmethod
    def from_settings(
        cls, settings: PartnerCenterSettings, http: httpx.AsyncClient, *, clock: Clock = monotonic
    ) -> EntraIdTokenProvider:
        """A provider with the credentials and authority of `settings`."""
        return cls(
            authority_url=settings.authority_url,
            tenant_id=settings.tenant_id,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            refresh_token=settings.refresh_token,
            resource=settings.resource,
            http=http,
            refresh_margin_seconds=settings.token_refresh_margin_seconds,
            refresh_token_store=refresh_token_store(settings.refresh_token_dir, settings.tenant_id),
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"EntraIdTokenProvider(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def _fresh(self, kind: TokenKind) -> AccessToken | None:
        token = self._cache.get(kind)
        if token is not None and self._clock() < token.expires_at - self._margin:
            return token
        return None

    async def get_token(self, kind: TokenKind) -> SecretStr:
        """A cached token, or a new one fetched by exactly one of the concurrent callers."""
        token = self._fresh(kind)
        if token is not None:
            return token.value
        async with self._locks[kind]:
            # Another caller may have refreshed while we waited for the lock.
            token = self._fresh(kind)
            if token is None:
                token = await self._fetch(kind)
                self._cache[kind] = token
            return token.value

    def invalidate(self, kind: TokenKind, token: SecretStr) -> None:
        """Drop the cached token if it is still the one that was refused."""
        cached = self._cache.get(kind)
        if cached is not None and cached.value.get_secret_value() == token.get_secret_value():
            del self._cache[kind]

    def _form(self, kind: TokenKind) -> dict[str, str]:
        form = {
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
            "resource": self._resource,
        }
        if kind is TokenKind.APP_ONLY:
            form["grant_type"] = "client_credentials"
            return form
        if self._refresh_token is None:
            raise PartnerCenterConfigurationError(
                "App+User call needs NCEFLOW_PARTNER_CENTER_REFRESH_TOKEN"
            )
        form["grant_type"] = "refresh_token"
        form["refresh_token"] = self._refresh_token.get_secret_value()
        return form

    async def _fetch(self, kind: TokenKind) -> AccessToken:
        form = self._form(kind)
        started = self._clock()
        self.fetch_count += 1
        try:
            response = await self._http.post(
                self._token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.TimeoutException:
            raise PartnerCenterTimeoutError("token endpoint timed out") from None
        except httpx.TransportError as exc:
            # Nothing reached Partner Center yet: safe to retry even before a checkout.
            raise PartnerCenterConnectionError(
                f"token endpoint unreachable ({type(exc).__name__})", request_sent=False
            ) from None
        body: dict[str, Any]
        try:
            parsed = response.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            body = {}
        if response.status_code >= 500:
            raise PartnerCenterServerError("token endpoint failed", status=response.status_code)
        if response.status_code != 200 or "access_token" not in body:
            # Entra ID's error and description never echo the secret; keep them for diagnosis.
            raise PartnerCenterAuthenticationError(
                str(body.get("error_description") or "token request refused"),
                status=response.status_code,
                code=str(body.get("error") or "") or None,
            )
        if kind is TokenKind.APP_USER and body.get("refresh_token"):
            # Entra ID may rotate the refresh token: keep the newest, and save it so that the
            # next start does not go back to one that has aged out.
            rotated = SecretStr(str(body["refresh_token"]))
            if self._store is not None and (
                self._refresh_token is None
                or rotated.get_secret_value() != self._refresh_token.get_secret_value()
            ):
                self._store.save(rotated)
            self._refresh_token = rotated
        expires_in = float(body.get("expires_in") or 3599)
        _log.debug("partner_center.token_acquired", kind=kind.value, expires_in=expires_in)
        return AccessToken(SecretStr(str(body["access_token"])), started + expires_in)


class StaticTokenProvider:
    """A fixed token per kind, for tools and tests that do not talk to Entra ID."""

    def __init__(self, tokens: dict[TokenKind, SecretStr]) -> None:
        self._tokens = tokens

    def __repr__(self) -> str:
        return f"StaticTokenProvider(kinds={sorted(self._tokens)!r})"

    async def get_token(self, kind: TokenKind) -> SecretStr:
        try:
            return self._tokens[kind]
        except KeyError:
            raise PartnerCenterConfigurationError(f"no {kind.value} token configured") from None

    def invalidate(self, kind: TokenKind, token: SecretStr) -> None:
        """A static token cannot be refreshed: nothing to do."""
