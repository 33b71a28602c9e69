"""Settings shared by the services; each service adds its own under `NCEFLOW_<SERVICE>_`.

Connection settings (Kafka, Redis, other services) use one shared variable each, such as
`NCEFLOW_REDIS_URL`, so that a whole stack is pointed at its servers with a handful of variables.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nceflow.runtime.environment import Environment, environment_field


class HttpServerSettings(BaseSettings):
    """Where a service listens, and whether it runs in dev mode (`NCEFLOW_ENV=dev`).
    Subclasses set `env_prefix`, e.g. `NCEFLOW_CATALOG_`."""

    model_config = SettingsConfigDict(extra="ignore")

    env: Environment = environment_field()
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_json: bool = Field(default=False, description="JSON logs (production) instead of text")
    log_level: str = "INFO"

    @property
    def dev(self) -> bool:
        """Whether development defaults are allowed (`NCEFLOW_ENV=dev`)."""
        return self.env is Environment.DEV


class KafkaSettings(BaseSettings):
    """How to reach the Kafka cluster."""

    model_config = SettingsConfigDict(extra="ignore")

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("NCEFLOW_KAFKA_BOOTSTRAP_SERVERS", "bootstrap_servers"),
    )
    # On for real Kafka. The embedded dev broker (Tansu) lacks it, so devstack turns it off.
    enable_idempotence: bool = Field(
        default=True,
        validation_alias=AliasChoices("NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE", "enable_idempotence"),
    )
    # Tests isolate themselves by prefixing every topic name; empty in dev and production.
    topic_prefix: str = Field(
        default="", validation_alias=AliasChoices("NCEFLOW_TOPIC_PREFIX", "topic_prefix")
    )

    def topic(self, name: str) -> str:
        """The real topic name for one of the names in `nceflow.schemas.topics`."""
        return f"{self.topic_prefix}{name}"


class RedisSettings(BaseSettings):
    """How to reach Redis, and the prefix of every key (`<prefix>:<service>:<kind>:<id>`)."""

    model_config = SettingsConfigDict(extra="ignore")

    url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("NCEFLOW_REDIS_URL", "url"),
    )
    key_prefix: str = Field(
        default="nceflow",
        validation_alias=AliasChoices("NCEFLOW_REDIS_KEY_PREFIX", "key_prefix"),
    )
