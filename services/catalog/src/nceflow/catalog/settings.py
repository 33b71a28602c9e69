"""Settings of the catalog service, read from `NCEFLOW_CATALOG_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings


class Settings(HttpServerSettings):
    """Everything the catalog service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_CATALOG_", extra="ignore")

    port: int = 8001
    catalogue_file: Path | None = Field(
        default=Path(".nceflow/catalog/catalogue.json"),
        description="Catalogue written by a sync; served (and re-read when it changes) while it "
        "exists, else the catalogue shipped with the service is served. None: never written",
    )
    reload_interval_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often to check `catalogue_file` for a newer sync; 0 never checks",
    )
    price_list_file: Path | None = Field(
        default=None, description="The partner's price list; None uses the shipped one"
    )
    sync_countries: list[str] = Field(
        default=["US"], description="Markets whose Partner Center catalog a sync reads"
    )
    cache_max_age_seconds: int = Field(
        default=60, ge=0, description="How long clients may reuse a response without revalidating"
    )
    admin_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for `POST /v1/admin/sync`; None disables the endpoint",
    )
