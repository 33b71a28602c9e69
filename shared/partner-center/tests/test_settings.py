"""Settings come from `NCEFLOW_PARTNER_CENTER_*` and never show their secrets."""

from __future__ import annotations

import pytest

from nceflow.partner_center import PartnerCenterClient, PartnerCenterSettings


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NCEFLOW_PARTNER_CENTER_BASE_URL", "https://api.partnercenter.microsoft.com")
    monkeypatch.setenv("NCEFLOW_PARTNER_CENTER_CLIENT_SECRET", "prod-secret-value")
    monkeypatch.setenv("NCEFLOW_PARTNER_CENTER_RATE_LIMIT_PER_MINUTE", "250")
    settings = PartnerCenterSettings()
    assert settings.base_url == "https://api.partnercenter.microsoft.com"
    assert settings.client_secret.get_secret_value() == "prod-secret-value"
    assert settings.rate_limit_per_minute == 250


def test_defaults_point_at_the_local_simulator() -> None:
    settings = PartnerCenterSettings()
    assert settings.base_url == "http://127.0.0.1:8090"
    assert settings.authority_url == "http://127.0.0.1:8090"
    assert settings.rate_limit_per_minute == 500


async def test_secrets_never_appear_in_reprs() -> None:
    settings = PartnerCenterSettings(
        client_secret="top-secret-1",
        refresh_token="top-secret-2",
    )
    async with PartnerCenterClient(settings) as client:
        for text in (repr(settings), str(settings), repr(client), str(settings.model_dump())):
            assert "top-secret-1" not in text
            assert "top-secret-2" not in text
