"""Events fulfilment publishes on `nce.fulfilment.order-events.v1` while it places an order."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from nceflow.schemas.base import ContractModel, FulfilmentOrderEvent
from nceflow.schemas.values import (
    ErrorSource,
    FulfilmentStep,
    HttpsUrl,
    PartnerCenterId,
    ProvisioningStatus,
)

PartnerCenterIds = Annotated[list[PartnerCenterId], Field(max_length=1000)]

_NEEDS_CUSTOMER = frozenset({FulfilmentStep.CUSTOMER_RESOLVED, FulfilmentStep.CUSTOMER_CREATED})
_NEEDS_CART = frozenset({FulfilmentStep.CART_CREATED, FulfilmentStep.CHECKED_OUT})


class FulfilmentStarted(FulfilmentOrderEvent):
    """Fulfilment accepted an `OrderConfirmed` and started placing the order."""


class FulfilmentStepCompleted(FulfilmentOrderEvent):
    """One step of placing the order in Partner Center is done (and persisted)."""

    step: FulfilmentStep
    """Which step completed."""
    already_done: bool = False
    """True when Partner Center already had the effect (e.g. MCA on record, qualification
    present, cart already ordered), so nothing was written this time."""
    customer_id: PartnerCenterId | None = None
    """Partner Center customer tenant id; set from `customer_resolved`/`customer_created` on."""
    cart_id: PartnerCenterId | None = None
    """Partner Center cart id; set by `cart_created` and `checked_out`."""
    order_ids: PartnerCenterIds = Field(default_factory=list)
    """Partner Center order ids; set by `checked_out`."""

    @model_validator(mode="after")
    def _detail_matches_step(self) -> Self:
        if self.step in _NEEDS_CUSTOMER and self.customer_id is None:
            raise ValueError(f"step {self.step} needs customer_id")
        if self.step in _NEEDS_CART and self.cart_id is None:
            raise ValueError(f"step {self.step} needs cart_id")
        if self.step is FulfilmentStep.CHECKED_OUT and not self.order_ids:
            raise ValueError("step checked_out needs order_ids")
        return self


class OrderGroupError(ContractModel):
    """A part of the cart Partner Center refused at checkout while it ordered the rest."""

    order_group_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """The cart's order group that was not ordered (Partner Center's `orderGroupId`)."""
    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    """Partner Center's error code for that group."""
    description: Annotated[str, Field(min_length=1, max_length=1000)]
    """Partner Center's description of the error."""


class OrderPlaced(FulfilmentOrderEvent):
    """Partner Center accepted the order. Emitted again with subscription ids once provisioned."""

    customer_id: PartnerCenterId
    """Partner Center customer tenant id."""
    cart_id: PartnerCenterId | None = None
    """The cart that was checked out."""
    order_ids: Annotated[list[PartnerCenterId], Field(min_length=1, max_length=1000)]
    """Partner Center order ids (one per order group of the cart)."""
    subscription_ids: PartnerCenterIds = Field(default_factory=list)
    """Partner Center subscription ids, when known (after provisioning)."""
    provisioning: ProvisioningStatus = ProvisioningStatus.PENDING
    """`pending` right after checkout; `completed` once Partner Center completed the orders."""
    order_errors: Annotated[list[OrderGroupError], Field(max_length=1000)] = Field(
        default_factory=list
    )
    """Parts of the cart Partner Center did not order (its `orderErrors`): empty unless the
    checkout was a partial success. The placed orders stand; the rest must be bought again."""


class OrderFailed(FulfilmentOrderEvent):
    """The order could not be placed. `reason` is written for the customer to act on."""

    code: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    """Partner Center's error code (e.g. `20002`) or ours (e.g. `domain_taken`)."""
    code_source: ErrorSource
    """Whether `code` is Partner Center's or nceflow's."""
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    """What went wrong and what the customer can do, in plain words."""
    action_url: HttpsUrl | None = None
    """A link that helps the customer act (e.g. the relationship acceptance page)."""
    retryable: bool
    """True when the same order can succeed if re-driven once the cause is fixed (e.g. the
    relationship accepted); false when the order itself must change (e.g. domain taken)."""
    failed_step: FulfilmentStep | None = None
    """The saga step that failed, if it had started one."""
