"""Settings of the storefront, read from `NCEFLOW_STOREFRONT_*` environment variables."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from nceflow.runtime.environment import refuse_outside_dev
from nceflow.runtime.settings import HttpServerSettings, RedisSettings


class SignInMode(StrEnum):
    """How a customer signs in."""

    DEV = "dev"
    """Pick an account and a reseller from the directory; the storefront signs a dev token."""
    TOKEN = "token"  # noqa: S105 - a mode's name, not a secret
    """The platform hands over the customer's bearer token (production)."""


class Settings(HttpServerSettings):
    """Everything the storefront reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_STOREFRONT_", extra="ignore")

    port: int = 8000
    catalog_url: str = Field(
        default="http://127.0.0.1:8001",
        validation_alias=AliasChoices("NCEFLOW_CATALOG_URL", "catalog_url"),
        description="Base URL of the catalog service",
    )
    checkout_url: str = Field(
        default="http://127.0.0.1:8002",
        validation_alias=AliasChoices("NCEFLOW_CHECKOUT_URL", "checkout_url"),
        description="Base URL of the checkout service",
    )
    sign_in: SignInMode | None = Field(
        default=None,
        description="`dev`: pick an account and reseller (dev mode only); `token`: the "
        "platform's bearer token. Default: `dev` in dev mode, else `token`",
    )
    redis: RedisSettings = Field(
        default_factory=RedisSettings,
        description="Where sessions live (the cookie holds only their id), shared by replicas",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, ge=60, description="A session ends this long after sign-in"
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the session cookie over HTTPS only. Default: off in dev mode, else on "
        "(production cannot turn it off)",
    )
    market: str = Field(
        default="US", pattern=r"^[A-Z]{2}$", description="Country whose plans are shown"
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body read (a wizard form is a few hundred bytes)",
    )
    upstream_timeout_seconds: float = Field(default=10.0, gt=0)
    order_poll_interval_ms: int = Field(
        default=1000, ge=100, description="How often the order page asks for a new status"
    )

    @property
    def sign_in_mode(self) -> SignInMode:
        """How customers sign in: as set, else dev sign-in in dev mode only."""
        if self.sign_in is not None:
            return self.sign_in
        return SignInMode.DEV if self.dev else SignInMode.TOKEN

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie is sent over HTTPS only: as set, else outside dev mode."""
        return self.cookie_secure if self.cookie_secure is not None else not self.dev

    @model_validator(mode="after")
    def _production_signs_in_with_tokens_over_https(self) -> Self:
        problems = []
        if self.sign_in_mode is SignInMode.DEV:
            problems.append(
                "NCEFLOW_STOREFRONT_SIGN_IN=dev lets anyone sign in as any account: use token"
            )
        if not self.secure_cookies:
            problems.append("NCEFLOW_STOREFRONT_COOKIE_SECURE=false sends the session over HTTP")
        refuse_outside_dev(self.env, problems)
        return self
