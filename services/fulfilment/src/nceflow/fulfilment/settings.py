"""Settings of the fulfilment service, read from `NCEFLOW_FULFILMENT_*` environment variables.

Connections shared by every service keep their shared names (`NCEFLOW_KAFKA_*`,
`NCEFLOW_REDIS_*`, `NCEFLOW_TOPIC_PREFIX`, `NCEFLOW_PARTNER_CENTER_*`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from nceflow.fulfilment.domain.saga import RetryPolicy
from nceflow.partner_center import PartnerCenterSettings
from nceflow.runtime.environment import handoff_problems, kafka_problems, refuse_outside_dev
from nceflow.runtime.settings import (
    HandoffSettings,
    HttpServerSettings,
    KafkaSettings,
    RedisSettings,
)


class PartnerCredentials(BaseModel):
    """Another partner tenant's own app registration: overrides of the Partner Center settings.
    Secrets stay `SecretStr`, so they never show in a repr, a log line or a settings dump."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None


class Settings(HttpServerSettings):
    """Everything the fulfilment service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_FULFILMENT_", extra="ignore")

    port: int = 8003

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    handoff: HandoffSettings = Field(default_factory=HandoffSettings)
    partner_center: PartnerCenterSettings = Field(default_factory=PartnerCenterSettings)
    partners: dict[str, PartnerCredentials] = Field(
        default_factory=dict,
        description="More partner tenants that place orders, as JSON: tenant id → overrides of "
        "the Partner Center settings (client_id, client_secret, refresh_token). The tenant of "
        "NCEFLOW_PARTNER_CENTER_TENANT_ID is always included.",
    )

    group_id: str = Field(default="nceflow-fulfilment", description="Kafka consumer group")
    consumer_session_timeout_ms: int = Field(default=10_000, ge=1000)
    # How long a fetch waits for records. Kafka answers as soon as data arrives, but the embedded
    # dev broker (Tansu) answers only when the wait ends: 100 ms put ~55 ms (p50) before every
    # order's first step there. An idle consumer then fetches every 20 ms, nothing for Kafka.
    consumer_fetch_max_wait_ms: int = Field(default=20, ge=1, le=10_000)
    consumer_max_records: int = Field(
        default=100, ge=1, description="Order events handled (and committed) per batch"
    )
    max_in_flight: int = Field(default=32, ge=1, description="Orders worked at once per process")
    redis_socket_timeout_seconds: float = Field(
        default=5.0, gt=0, description="A Redis that does not answer fails the call after this"
    )

    # Parking and crash recovery.
    poll_interval_seconds: float = Field(default=0.5, gt=0, description="Schedule poll period")
    lease_ttl_seconds: float = Field(
        default=15.0, gt=0, description="A crashed worker's orders are taken over after this"
    )
    visibility_timeout_seconds: float = Field(
        default=30.0, gt=0, description="A claimed order comes due again after this unless saved"
    )
    retention: timedelta = Field(
        default=timedelta(days=30), description="Finished sagas are kept (dedupe) this long"
    )

    # Retries of parked orders (each Partner Center call also retries inside its own budget).
    retry_initial_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    give_up_after: timedelta = Field(default=timedelta(hours=24))

    # A relationship the customer confirmed may take a while to show in Partner Center.
    relationship_wait: timedelta = Field(default=timedelta(minutes=15))
    relationship_recheck_seconds: float = Field(default=30.0, gt=0)

    # After checkout: follow the order until Partner Center completes it.
    follow_order_for: timedelta = Field(default=timedelta(hours=1))
    follow_poll_seconds: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _production_has_its_own_secrets(self) -> Self:
        # Partner Center's own settings refuse the simulator's by themselves (nested above).
        refuse_outside_dev(self.env, kafka_problems(self.kafka) + handoff_problems(self.handoff))
        return self

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            initial_delay=timedelta(seconds=self.retry_initial_seconds),
            max_delay=timedelta(seconds=self.retry_max_seconds),
            give_up_after=self.give_up_after,
        )
