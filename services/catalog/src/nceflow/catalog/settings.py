"""Settings of the catalog service, read from `NCEFLOW_CATALOG_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings


class Settings(HttpServerSettings):
    """Everything the catalog service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_CATALOG_", extra="ignore")

    port: int = 8001
