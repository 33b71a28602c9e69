"""The rotated refresh token survives a restart: against the simulator's Entra ID, which (when
told to) lets a refresh token expire as soon as a newer one was issued for it."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from nceflow.partner_center import (
    EntraIdTokenProvider,
    FileRefreshTokenStore,
    PartnerCenterAuthenticationError,
    TokenKind,
)
from nceflow.testing.partner_center import SimControl, partner_settings


def test_the_file_store_keeps_the_secret_to_its_owner(tmp_path: Path) -> None:
    store = FileRefreshTokenStore(tmp_path / "secrets" / "tenant.refresh-token")
    assert store.load() is None
    store.save(SecretStr("first"))
    store.save(SecretStr("second"))
    assert store.load() == SecretStr("second")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert list(store.path.parent.iterdir()) == [store.path]  # no temporary file left behind
    assert "second" not in repr(store)


async def test_a_restart_starts_from_the_rotated_refresh_token(
    sim: SimControl, tmp_path: Path
) -> None:
    await sim.configure(refresh_tokens_expire_on_rotation=True)
    settings = partner_settings(sim.base_url, "direct", refresh_token_dir=tmp_path)
    async with httpx.AsyncClient(timeout=10) as http:
        first_run = EntraIdTokenProvider.from_settings(settings, http)
        await first_run.get_token(TokenKind.APP_USER)  # the seeded token is exchanged (rotated)
        saved = (tmp_path / f"{settings.tenant_id}.refresh-token").read_text()
        assert settings.refresh_token is not None
        assert saved
        assert saved != settings.refresh_token.get_secret_value()

        after_restart = EntraIdTokenProvider.from_settings(settings, http)
        assert (await after_restart.get_token(TokenKind.APP_USER)).get_secret_value()

        # Without the store, the process would go back to the configured token: now expired.
        forgetful = EntraIdTokenProvider.from_settings(
            settings.model_copy(update={"refresh_token_dir": None}), http
        )
        with pytest.raises(PartnerCenterAuthenticationError) as refused:
            await forgetful.get_token(TokenKind.APP_USER)
        assert refused.value.code == "invalid_grant"
