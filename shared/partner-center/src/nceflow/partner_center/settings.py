"""Partner Center client settings, read from `NCEFLOW_PARTNER_CENTER_*` environment variables.

The defaults point at the simulator (`python -m nceflow.partner_center_sim`) and its seeded app
registration, so that a developer machine works without configuration. Production sets
`NCEFLOW_PARTNER_CENTER_BASE_URL=https://api.partnercenter.microsoft.com`,
`NCEFLOW_PARTNER_CENTER_AUTHORITY_URL=https://login.microsoftonline.com` and the real credentials.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PARTNER_CENTER_RESOURCE = "https://api.partnercenter.microsoft.com"


class PartnerCenterSettings(BaseSettings):
    """How to reach and authenticate against Partner Center, and how hard to try."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_PARTNER_CENTER_", extra="ignore")

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
    client_secret: SecretStr = Field(default=SecretStr("sim-direct-secret-8Q~vJ3nX2dLw"))
    refresh_token: SecretStr | None = Field(
        default=SecretStr("sim-direct-refresh-0.AXkAmL7zK"),
        description="A partner user's refresh token for App+User calls (None: App-only only)",
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
