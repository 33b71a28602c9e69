"""Knobs of a running simulator that tests may change (`PATCH /_sim/config`) and reset restores."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nceflow.partner_center_sim.settings import RepeatCheckout, Settings


class RuntimeConfig(BaseModel):
    """Behaviour that can change while the simulator runs."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    token_lifetime_seconds: int = Field(ge=1)
    order_completion_seconds: float = Field(ge=0)
    rate_limit_per_minute: int = Field(ge=0)
    checkout_processing_seconds: float = Field(ge=0)
    lost_response_hang_seconds: float = Field(ge=0)
    order_list_delay_seconds: float = Field(ge=0)
    request_id_memory_seconds: float = Field(gt=0)
    repeat_checkout: RepeatCheckout
    refresh_tokens_expire_on_rotation: bool = False
    """A refresh token (the seeded one too) stops working once a newer one was issued for it,
    as an expired one would: a client that forgets the rotated token is refused."""

    @classmethod
    def from_settings(cls, settings: Settings) -> RuntimeConfig:
        """The configuration a freshly started (or reset) simulator has."""
        return cls(
            token_lifetime_seconds=settings.token_lifetime_seconds,
            order_completion_seconds=settings.order_completion_seconds,
            rate_limit_per_minute=settings.rate_limit_per_minute,
            checkout_processing_seconds=settings.checkout_processing_seconds,
            lost_response_hang_seconds=settings.lost_response_hang_seconds,
            order_list_delay_seconds=settings.order_list_delay_seconds,
            request_id_memory_seconds=settings.request_id_memory_seconds,
            repeat_checkout=settings.repeat_checkout,
        )


class RuntimeConfigPatch(BaseModel):
    """A partial update of the runtime configuration."""

    model_config = ConfigDict(extra="forbid")

    token_lifetime_seconds: int | None = Field(default=None, ge=1)
    order_completion_seconds: float | None = Field(default=None, ge=0)
    rate_limit_per_minute: int | None = Field(default=None, ge=0)
    checkout_processing_seconds: float | None = Field(default=None, ge=0)
    lost_response_hang_seconds: float | None = Field(default=None, ge=0)
    order_list_delay_seconds: float | None = Field(default=None, ge=0)
    request_id_memory_seconds: float | None = Field(default=None, gt=0)
    repeat_checkout: RepeatCheckout | None = None
    refresh_tokens_expire_on_rotation: bool | None = None
