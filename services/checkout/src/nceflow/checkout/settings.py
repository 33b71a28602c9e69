"""Settings of the checkout service, read from `NCEFLOW_CHECKOUT_*` environment variables.

Connections shared by every service keep their shared names (`NCEFLOW_REDIS_URL`,
`NCEFLOW_KAFKA_BOOTSTRAP_SERVERS`, `NCEFLOW_CATALOG_URL`, `NCEFLOW_PARTNER_CENTER_*`).
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from nceflow.runtime.environment import (
    handoff_problems,
    https_problems,
    kafka_problems,
    refuse_outside_dev,
)
from nceflow.runtime.settings import (
    HandoffSettings,
    HttpServerSettings,
    KafkaSettings,
    RedisSettings,
)

# A well-known key, on purpose: dev mode only (`NCEFLOW_ENV=dev`). Outside dev mode tokens are
# verified with the platform's JWKS only, and a JWKS URL turns HS256 off in dev mode too.
DEV_JWT_SECRET = "nceflow-dev-only-signing-key-never-use-in-production"  # noqa: S105
# The simulator's marketplace sign-in app (its seed): dev only.
DEV_SIGN_IN_CLIENT_ID = "5f1d7c8e-3b2a-4c69-9e0d-6a7b8c9d0e1f"
DEV_SIGN_IN_CLIENT_SECRET = "nceflow-dev-sign-in-secret"  # noqa: S105


class TenantDomainCheck(StrEnum):
    """What the `tenant_domain` step does when Partner Center finds no customer with the domain."""

    REQUIRE = "require"
    """Refuse the step (422 with the relationship link)."""
    WARN = "warn"
    """Save it with a warning; fulfilment checks again (a new relationship can take minutes)."""


class Settings(HttpServerSettings):
    """Everything the checkout service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_CHECKOUT_", extra="ignore")

    port: int = 8002

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    catalog_url: str = Field(
        default="http://127.0.0.1:8001",
        validation_alias=AliasChoices("NCEFLOW_CATALOG_URL", "catalog_url"),
    )
    catalog_timeout_seconds: float = Field(default=5.0, gt=0)
    partner_center_base_url: str = Field(
        default="http://127.0.0.1:8090",
        validation_alias=AliasChoices("NCEFLOW_PARTNER_CENTER_BASE_URL", "partner_center_base_url"),
    )
    partner_center_authority_url: str = Field(
        default="http://127.0.0.1:8090",
        validation_alias=AliasChoices(
            "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL", "partner_center_authority_url"
        ),
    )
    partner_center_rate_limit_per_minute: int = Field(
        default=100,
        ge=0,
        description="Client-side limit of checkout's Partner Center calls per partner (0: none). "
        "Microsoft allows about 500 a minute per partner for everything: checkout keeps to a "
        "share, so customers' lookups cannot push fulfilment's orders into 429s",
    )
    tenant_lookups_per_minute: int = Field(
        default=10,
        ge=1,
        description="Domain and tenant lookups (company profile, tenant domain) one account may "
        "make a minute; more are 429 with Retry-After",
    )
    # Microsoft sign-in (proof that an account's customer is a user of an existing tenant): the
    # marketplace's multi-tenant Entra app. The defaults are the simulator's dev registration.
    microsoft_sign_in_authority_url: str | None = Field(
        default=None,
        description="Entra ID (https://login.microsoftonline.com); default: the Partner Center "
        "authority URL",
    )
    microsoft_sign_in_client_id: str = DEV_SIGN_IN_CLIENT_ID
    microsoft_sign_in_client_secret: SecretStr = SecretStr(DEV_SIGN_IN_CLIENT_SECRET)
    microsoft_sign_in_timeout_seconds: float = Field(default=10.0, gt=0)

    resellers_file: Path | None = Field(
        default=None, description="Reseller directory (JSON); default: the dev directory shipped"
    )

    # Authentication: production verifies the platform's tokens with its JWKS; dev signs locally.
    jwt_issuer: str = "https://marketplace.nceflow.dev"
    jwt_audience: str = "nceflow-checkout"
    jwt_jwks_url: str | None = Field(
        default=None, description="When set, tokens are verified with these keys only"
    )
    jwt_algorithm: str = Field(default="RS256", description="The one algorithm accepted with JWKS")
    jwt_jwks_cache_seconds: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="How long a fetched JWK set is trusted: a key the platform removes stops "
        "opening the API within this long",
    )
    jwt_dev_secret: SecretStr | None = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="HS256 key for dev tokens, dev mode only; ignored when a JWKS URL is set",
    )
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    dev_token_lifetime: timedelta = timedelta(hours=8)

    # The wizard.
    draft_idle_timeout: timedelta = Field(
        default=timedelta(days=7), description="An untouched draft is abandoned after this long"
    )
    closed_draft_retention: timedelta = Field(
        default=timedelta(days=30), description="How long ended drafts stay readable"
    )
    max_open_drafts_per_account: int = Field(
        default=20, ge=1, description="Open drafts one account may have at once (422 beyond)"
    )
    expiry_interval_seconds: float = Field(default=30.0, gt=0)
    tenant_domain_check: TenantDomainCheck = TenantDomainCheck.REQUIRE
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    # Outbox relay and fulfilment-event consumer; both run inside the service unless disabled.
    relay_enabled: bool = True
    relay_batch_size: int = Field(default=200, ge=1, le=10_000)
    relay_block_ms: int = Field(default=1000, ge=1)
    relay_claim_idle_ms: int = Field(
        default=30_000, ge=1, description="An entry pending this long belongs to a dead relay"
    )
    relay_claim_interval_seconds: float = Field(default=5.0, gt=0)
    consumer_enabled: bool = True
    consumer_group: str = "nceflow-checkout-orders"

    # End-to-end delivery: re-emit OrderConfirmed for orders fulfilment has gone quiet about.
    redelivery_after: timedelta = Field(
        default=timedelta(seconds=60),
        description="No fulfilment news this long after Buy (or the last progress): re-emit",
    )
    redelivery_max_wait: timedelta = Field(
        default=timedelta(hours=1), description="The longest wait between two re-emits"
    )
    redelivery_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often each replica looks for orders past their time"
    )

    redis_socket_timeout_seconds: float = Field(default=2.0, gt=0)
    redis_max_connections: int = Field(default=64, ge=8)

    @model_validator(mode="after")
    def _production_needs_its_own_keys(self) -> Self:
        # Each default below opens a deployment to anyone who read this file: production names
        # its own (https) endpoints, keys and reseller directory, or does not start.
        problems = https_problems(
            NCEFLOW_CHECKOUT_JWT_JWKS_URL=self.jwt_jwks_url,
            NCEFLOW_PARTNER_CENTER_BASE_URL=self.partner_center_base_url,
            NCEFLOW_PARTNER_CENTER_AUTHORITY_URL=self.partner_center_authority_url,
            NCEFLOW_CHECKOUT_MICROSOFT_SIGN_IN_AUTHORITY_URL=self.microsoft_sign_in_authority_url,
        )
        if not self.jwt_jwks_url:
            problems.append(
                "NCEFLOW_CHECKOUT_JWT_JWKS_URL is not set: the platform's JWKS verifies tokens "
                "(the dev signing key is public)"
            )
        if self.resellers_file is None:
            problems.append(
                "NCEFLOW_CHECKOUT_RESELLERS_FILE is not set: the shipped reseller directory is "
                "the simulator's"
            )
        if self.microsoft_sign_in_client_secret.get_secret_value() == DEV_SIGN_IN_CLIENT_SECRET:
            problems.append(
                "NCEFLOW_CHECKOUT_MICROSOFT_SIGN_IN_CLIENT_ID and _CLIENT_SECRET are the "
                "simulator's sign-in app: set the marketplace's Entra app"
            )
        problems += kafka_problems(self.kafka) + handoff_problems(self.handoff)
        refuse_outside_dev(self.env, problems)
        return self
