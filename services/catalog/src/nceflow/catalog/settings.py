"""Settings of the catalog service, read from `NCEFLOW_CATALOG_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings

MIN_ADMIN_TOKEN_LENGTH = 32


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
        description="Bearer token for `POST /v1/admin/sync`, at least 32 characters; unset or "
        "empty disables the endpoint",
    )

    @field_validator("admin_token", mode="after")
    @classmethod
    def _admin_token_is_unset_or_strong(cls, token: SecretStr | None) -> SecretStr | None:
        # `NCEFLOW_CATALOG_ADMIN_TOKEN=` (an empty value) must not enable the endpoint with an
        # empty bearer token, and a short one is guessable.
        if token is None or not token.get_secret_value():
            return None
        if len(token.get_secret_value()) < MIN_ADMIN_TOKEN_LENGTH:
            raise ValueError(
                f"NCEFLOW_CATALOG_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_LENGTH} characters"
            )
        return token
