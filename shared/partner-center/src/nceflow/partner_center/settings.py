"""Partner Center client settings, read from `NCEFLOW_PARTNER_CENTER_*` environment variables.

The defaults point at the simulator (`python -m nceflow.partner_center_sim`) and its seeded app
registration, so that a developer machine works without configuration; those defaults are
refused outside dev mode (`NCEFLOW_ENV=dev`). Production sets
`NCEFLOW_PARTNER_CENTER_BASE_URL=https://api.partnercenter.microsoft.com`,
`NCEFLOW_PARTNER_CENTER_AUTHORITY_URL=https://login.microsoftonline.com` and the real credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com"
# The simulator's seeded direct partner: the defaults below, dev mode only.
SIMULATOR_CLIENT_SECRET = "sim-direct-secret-8Q~vJ3nX2dLw"  # noqa: S105
SIMULATOR_REFRESH_TOKEN = "sim-direct-refresh-0.AXkAmL7zK"  # noqa: S105


class PartnerCenterSettings(BaseSettings):
    """How to reach and authenticate against Partner Center, and how hard to try."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_PARTNER_CENTER_", extra="ignore")

    env: str = Field(
        default="production",
        validation_alias=AliasChoices("NCEFLOW_ENV", "env"),
        description="`dev` allows plain HTTP and the simulator's credentials",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8090",
        description="Partner Center API root (real: https://api.partnercenter.microsoft.com)",
    )
    authority_url: str = Field(
        default="http://127.0.0.1:8090",
        description="Microsoft Entra ID authority (real: https://login.microsoftonline.com)",
    )
    resource: str = Field(
        default=PARTNER_CENTER_RESOURCE,
        description="Audience of the access tokens; the same in dev, the simulator checks it",
    )
    tenant_id: str = Field(
        default="975d8cba-c0ba-4e79-848f-dfc9b2829097",
        description="The partner's Entra tenant (default: the simulator's direct partner)",
    )
    client_id: str = Field(
        default="cf9e4f42-04fb-4856-93c7-0a70c92c2150",
        description="App registration (application id) of the partner's Partner Center app",
    )
    client_secret: SecretStr = Field(default=SecretStr(SIMULATOR_CLIENT_SECRET))
    refresh_token: SecretStr | None = Field(
        default=SecretStr(SIMULATOR_REFRESH_TOKEN),
        description="A partner user's refresh token for App+User calls (None: App-only only)",
    )

    refresh_token_dir: Path | None = Field(
        default=None,
        description="Directory where each tenant's rotated refresh token is saved (0600 files), "
        "so a restart starts from the newest; None keeps it in memory only",
    )

    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0)
    # Every retry of one logical call must fit in this many seconds, Retry-After waits included.
    retry_budget_seconds: float = Field(default=60.0, ge=0)
    max_attempts: int = Field(default=5, ge=1)
    backoff_initial_seconds: float = Field(default=0.5, gt=0)
    backoff_max_seconds: float = Field(default=10.0, gt=0)
    # Microsoft throttles customer/order/cart resources around 500 requests per minute per partner.
    rate_limit_per_minute: int = Field(default=500, ge=0, description="0 disables the limiter")
    rate_limit_burst: int | None = Field(
        default=None, ge=1, description="Bucket size; default: a tenth of the per-minute rate"
    )
    # Refresh a cached token this long before Entra ID says it expires.
    token_refresh_margin_seconds: float = Field(default=300.0, ge=0)
    max_connections: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _production_talks_to_microsoft(self) -> Self:
        # Outside dev mode the partner's credentials and tokens must only travel over TLS, and
        # the simulator's published credentials are never a production partner's.
        if self.env == "dev":
            return self
        problems = [
            f"NCEFLOW_PARTNER_CENTER_{name.upper()} must be an https:// URL (is {url!r})"
            for name, url in (("base_url", self.base_url), ("authority_url", self.authority_url))
            if not url.lower().startswith("https://")
        ]
        secrets = (self.client_secret, self.refresh_token)
        if any(
            s is not None
            and s.get_secret_value() in (SIMULATOR_CLIENT_SECRET, SIMULATOR_REFRESH_TOKEN)
            for s in secrets
        ):
            problems.append(
                "NCEFLOW_PARTNER_CENTER_CLIENT_SECRET / _REFRESH_TOKEN are the simulator's"
            )
        if problems:
            raise NotForProductionError(problems)
        return self


class NotForProductionError(ValueError):
    """Partner Center settings that only dev mode may use; `problems` names each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("not allowed outside dev mode (NCEFLOW_ENV=dev): " + "; ".join(problems))
