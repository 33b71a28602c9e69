"""Settings shared by the services; each service adds its own under `NCEFLOW_<SERVICE>_`.

Connection settings (Kafka, Redis, other services) use one shared variable each, such as
`NCEFLOW_REDIS_URL`, so that a whole stack is pointed at its servers with a handful of variables.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from ssl import SSLContext
from typing import Any, Self

from aiokafka.helpers import create_ssl_context
from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, SecretStr, model_validator
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


class KafkaSecurityProtocol(StrEnum):
    """Kafka's `security.protocol`."""

    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"


class SaslMechanism(StrEnum):
    """The SASL mechanisms nceflow's clients speak."""

    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


def _kafka(name: str) -> AliasChoices:
    return AliasChoices(f"NCEFLOW_KAFKA_{name.upper()}", name)


class KafkaSettings(BaseSettings):
    """How to reach the Kafka cluster, and how to prove who we are to it (TLS, SASL)."""

    model_config = SettingsConfigDict(extra="ignore")

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("NCEFLOW_KAFKA_BOOTSTRAP_SERVERS", "bootstrap_servers"),
    )
    security_protocol: KafkaSecurityProtocol = Field(
        default=KafkaSecurityProtocol.PLAINTEXT,
        validation_alias=_kafka("security_protocol"),
        description="PLAINTEXT (dev mode only), SSL, SASL_PLAINTEXT or SASL_SSL",
    )
    sasl_mechanism: SaslMechanism = Field(
        default=SaslMechanism.SCRAM_SHA_512, validation_alias=_kafka("sasl_mechanism")
    )
    sasl_username: str | None = Field(default=None, validation_alias=_kafka("sasl_username"))
    sasl_password: SecretStr | None = Field(default=None, validation_alias=_kafka("sasl_password"))
    ssl_cafile: Path | None = Field(
        default=None,
        validation_alias=_kafka("ssl_cafile"),
        description="CA bundle the brokers' certificates are checked against (default: system)",
    )
    ssl_certfile: Path | None = Field(
        default=None, validation_alias=_kafka("ssl_certfile"), description="Client certificate"
    )
    ssl_keyfile: Path | None = Field(default=None, validation_alias=_kafka("ssl_keyfile"))
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

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Self:
        if self.uses_sasl and (not self.sasl_username or self.sasl_password is None):
            raise ValueError(
                f"NCEFLOW_KAFKA_SECURITY_PROTOCOL={self.security_protocol.value} needs "
                "NCEFLOW_KAFKA_SASL_USERNAME and NCEFLOW_KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in (
            KafkaSecurityProtocol.SASL_PLAINTEXT,
            KafkaSecurityProtocol.SASL_SSL,
        )

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in (KafkaSecurityProtocol.SSL, KafkaSecurityProtocol.SASL_SSL)

    def ssl_context(self) -> SSLContext | None:
        """The TLS context of every connection (certificates checked, hostnames too)."""
        if not self.uses_tls:
            return None
        context: SSLContext = create_ssl_context(
            cafile=self.ssl_cafile, certfile=self.ssl_certfile, keyfile=self.ssl_keyfile
        )
        return context

    def client_options(self) -> dict[str, Any]:
        """`security_protocol`, TLS and SASL arguments of an aiokafka client."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol.value}
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        if self.uses_sasl:
            assert self.sasl_password is not None  # the validator saw to it
            options |= {
                "sasl_mechanism": self.sasl_mechanism.value,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
            }
        return options


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


DEV_HANDOFF_KEY = "bmNlZmxvdyBkZXYgaGFuZG9mZiBrZXk6IHB1YmxpYyE="
"""A Fernet key everyone can read in this file: dev mode only."""


class HandoffSettings(BaseSettings):
    """How fulfilment hands a new tenant's one-time admin password to checkout.

    Through Redis (both services' `NCEFLOW_REDIS_URL` and key prefix), encrypted with a key both
    hold, erased once the customer has seen it or after `ttl`. `NCEFLOW_HANDOFF_KEYS` is one or
    more Fernet keys, comma-separated: the first encrypts, any decrypts (rotation)."""

    model_config = SettingsConfigDict(extra="ignore")

    keys: SecretStr = Field(
        default=SecretStr(DEV_HANDOFF_KEY),
        validation_alias=AliasChoices("NCEFLOW_HANDOFF_KEYS", "keys"),
        description="Fernet keys (Fernet.generate_key()), comma-separated, newest first",
    )
    ttl: timedelta = Field(
        default=timedelta(hours=72),
        gt=timedelta(0),
        validation_alias=AliasChoices("NCEFLOW_HANDOFF_TTL", "ttl"),
        description="An admin password the customer has not looked at is erased after this",
    )

    @model_validator(mode="after")
    def _keys_are_fernet_keys(self) -> Self:
        for index, key in enumerate(self.key_list()):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    f"NCEFLOW_HANDOFF_KEYS: key {index + 1} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from None
        return self

    def key_list(self) -> list[str]:
        return [key.strip() for key in self.keys.get_secret_value().split(",") if key.strip()]

    @property
    def uses_dev_key(self) -> bool:
        return DEV_HANDOFF_KEY in self.key_list()
