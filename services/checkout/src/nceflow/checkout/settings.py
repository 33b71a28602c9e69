"""Settings of the checkout service, read from `NCEFLOW_CHECKOUT_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings


class Settings(HttpServerSettings):
    """Everything the checkout service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_CHECKOUT_", extra="ignore")

    port: int = 8002
