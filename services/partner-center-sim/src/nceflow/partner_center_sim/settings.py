"""Settings of the Partner Center simulator, read from `NCEFLOW_PC_SIM_*` environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from nceflow.runtime.settings import HttpServerSettings


class RepeatCheckout(StrEnum):
    """How Partner Center answers a second checkout (a new MS-RequestId) of an Ordered cart."""

    FIRST_RESULT = "first_result"
    ALREADY_SUBMITTED = "already_submitted"


class Settings(HttpServerSettings):
    """Everything the Partner Center simulator reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_PC_SIM_", extra="ignore")

    port: int = 8090
    seed_path: Path | None = Field(
        default=None, description="A seed JSON file; the packaged data/seed.json when unset"
    )
    token_lifetime_seconds: int = Field(default=3600, ge=1, description="`expires_in` of tokens")
    order_completion_seconds: float = Field(
        default=2.0,
        ge=0,
        description="Orders stay `pending` this long after checkout (0 = completed at once); "
        "`POST /_sim/orders/{id}/complete` completes one earlier",
    )
    rate_limit_per_minute: int = Field(
        default=500, ge=0, description="Requests per partner tenant per minute; 0 turns it off"
    )
    random_seed: int | None = Field(
        default=None, description="Seed of the fault-injection RNG, for reproducible runs"
    )
    request_log_size: int = Field(default=10_000, ge=1, description="Requests kept for /_sim/")
    checkout_processing_seconds: float = Field(
        default=0.0,
        ge=0,
        description="How long a checkout keeps its cart busy (a concurrent checkout gets 409 / "
        "800064 meanwhile)",
    )
    order_list_delay_seconds: float = Field(
        default=0.0,
        ge=0,
        description="New orders appear in a customer's order list only after this long "
        "(Microsoft: up to 15 minutes), so that clients learn to read the cart instead",
    )
    lost_response_hang_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a `lost_response` fault holds the connection before dropping it",
    )
    request_id_memory_seconds: float = Field(
        default=86_400.0,
        gt=0,
        description="How long the answer to a write is replayed to a request with the same "
        'MS-RequestId ("Partner Center REST headers": reuse the id only to retry a timeout)',
    )
    request_id_memory_entries: int = Field(
        default=50_000, ge=1, description="Most answers kept for MS-RequestId replays"
    )
    repeat_checkout: RepeatCheckout = Field(
        default=RepeatCheckout.FIRST_RESULT,
        description="A new checkout of an Ordered cart: `first_result` repeats the first "
        'checkout\'s answer ("Checkout a cart"), `already_submitted` refuses it with 400 / '
        '800065 ("Partner Center REST error codes"); both happen',
    )
