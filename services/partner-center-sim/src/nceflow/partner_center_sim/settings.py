"""Settings of the Partner Center simulator, read from `NCEFLOW_PC_SIM_*` environment variables."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings


class Settings(HttpServerSettings):
    """Everything the Partner Center simulator reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_PC_SIM_", extra="ignore")

    port: int = 8090
