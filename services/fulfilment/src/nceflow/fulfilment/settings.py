"""Settings of the fulfilment service, read from `NCEFLOW_FULFILMENT_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings


class Settings(HttpServerSettings):
    """Everything the fulfilment service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_FULFILMENT_", extra="ignore")

    port: int = 8003
