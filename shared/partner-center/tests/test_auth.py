"""Token acquisition from Entra ID: form, caching, refresh before expiry, single flight, secrecy.

Entra ID is played by a tiny in-process handler here (the simulator plays it in the tests of
`test_client.py`), so that the cache can be driven on a fake clock.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from nceflow.partner_center import (
    AccessToken,
    EntraIdTokenProvider,
    PartnerCenterAuthenticationError,
    PartnerCenterConfigurationError,
    TokenKind,
)
from nceflow.testing.partner_center import FakeClock

SECRET = "s3cr3t-client-secret"
REFRESH = "r3fr3sh-token-value"


class EntraStub:
    """Answers the v1 token endpoint, counting requests; optionally slow to expose races."""

    def __init__(self, *, expires_in: int = 3600, status: int = 200) -> None:
        self.forms: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.expires_in = expires_in
        self.status = status
        self.gate: asyncio.Event | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.forms.append(form)
        self.paths.append(request.url.path)
        if self.gate is not None:
            await self.gate.wait()
        if self.status != 200:
            return httpx.Response(
                self.status,
                json={"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"},
            )
        n = len(self.forms)
        return httpx.Response(
            200,
            json={
                "token_type": "Bearer",
                "expires_in": str(self.expires_in),  # Entra v1 sends it as a string
                "access_token": f"token-{form['grant_type']}-{n}",
                "resource": form.get("resource"),
            },
        )


def _provider(
    stub: EntraStub, clock: FakeClock, *, refresh_token: str | None = REFRESH
) -> EntraIdTokenProvider:
    http = httpx.AsyncClient(transport=httpx.MockTransport(stub))
    return EntraIdTokenProvider(
        authority_url="https://login.example/",
        tenant_id="partner-tenant",
        client_id="app-id",
        client_secret=SecretStr(SECRET),
        refresh_token=SecretStr(refresh_token) if refresh_token else None,
        resource="https://api.partnercenter.microsoft.com",
        http=http,
        refresh_margin_seconds=300,
        clock=clock,
    )


async def test_app_only_and_app_user_use_their_grants() -> None:
    stub, clock = EntraStub(), FakeClock()
    provider = _provider(stub, clock)
    app = await provider.get_token(TokenKind.APP_ONLY)
    user = await provider.get_token(TokenKind.APP_USER)
    assert app.get_secret_value() == "token-client_credentials-1"
    assert user.get_secret_value() == "token-refresh_token-2"
    assert stub.paths == ["/partner-tenant/oauth2/token"] * 2
    assert stub.forms[0] == {
        "grant_type": "client_credentials",
        "client_id": "app-id",
        "client_secret": SECRET,
        "resource": "https://api.partnercenter.microsoft.com",
    }
    assert stub.forms[1]["grant_type"] == "refresh_token"
    assert stub.forms[1]["refresh_token"] == REFRESH


async def test_token_is_cached_and_refreshed_before_expiry() -> None:
    stub, clock = EntraStub(expires_in=3600), FakeClock()
    provider = _provider(stub, clock)
    first = await provider.get_token(TokenKind.APP_ONLY)
    clock.advance(3600 - 301)  # still more than the 300 s margin left
    assert await provider.get_token(TokenKind.APP_ONLY) == first
    assert len(stub.forms) == 1
    clock.advance(2)  # inside the margin: refresh although not yet expired
    second = await provider.get_token(TokenKind.APP_ONLY)
    assert second != first
    assert len(stub.forms) == 2


async def test_concurrent_callers_share_one_refresh() -> None:
    stub, clock = EntraStub(), FakeClock()
    stub.gate = asyncio.Event()
    provider = _provider(stub, clock)
    callers = [asyncio.create_task(provider.get_token(TokenKind.APP_ONLY)) for _ in range(20)]
    await asyncio.sleep(0.01)
    stub.gate.set()
    tokens = await asyncio.gather(*callers)
    assert len({t.get_secret_value() for t in tokens}) == 1
    assert len(stub.forms) == 1
    assert provider.fetch_count == 1


async def test_invalidate_forces_a_new_token() -> None:
    stub, clock = EntraStub(), FakeClock()
    provider = _provider(stub, clock)
    first = await provider.get_token(TokenKind.APP_ONLY)
    provider.invalidate(TokenKind.APP_ONLY, SecretStr("some-older-token"))
    assert await provider.get_token(TokenKind.APP_ONLY) == first  # not the cached one: kept
    provider.invalidate(TokenKind.APP_ONLY, first)
    assert await provider.get_token(TokenKind.APP_ONLY) != first


async def test_refused_credentials_raise_without_the_secret() -> None:
    stub, clock = EntraStub(status=401), FakeClock()
    provider = _provider(stub, clock)
    with pytest.raises(PartnerCenterAuthenticationError) as info:
        await provider.get_token(TokenKind.APP_USER)
    error = info.value
    assert error.code == "invalid_client"
    for text in (str(error), repr(error), repr(provider)):
        assert SECRET not in text
        assert REFRESH not in text


async def test_app_user_without_refresh_token_is_a_configuration_error() -> None:
    provider = _provider(EntraStub(), FakeClock(), refresh_token=None)
    with pytest.raises(PartnerCenterConfigurationError, match="REFRESH_TOKEN"):
        await provider.get_token(TokenKind.APP_USER)


def test_access_token_repr_hides_the_value() -> None:
    token = AccessToken(SecretStr("eyJhbGciOi.secret"), expires_at=1.0)
    assert "eyJ" not in repr(token)
    assert "eyJ" not in str(token)
