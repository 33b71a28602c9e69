"""Every event type of the contract: per-topic unions and the registry keyed by CloudEvents type."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, TypeAlias

from nceflow.schemas.base import OrderEvent
from nceflow.schemas.checkout import OrderAbandoned, OrderConfirmed, OrderDrafted, StepCompleted
from nceflow.schemas.fulfilment import (
    FulfilmentStarted,
    FulfilmentStepCompleted,
    OrderFailed,
    OrderPlaced,
)
from nceflow.schemas.topics import CHECKOUT_ORDER_EVENTS, FULFILMENT_ORDER_EVENTS

CheckoutEvent: TypeAlias = OrderDrafted | StepCompleted | OrderConfirmed | OrderAbandoned
"""Any event on `nce.checkout.order-events.v1`."""

FulfilmentEvent: TypeAlias = FulfilmentStarted | FulfilmentStepCompleted | OrderPlaced | OrderFailed
"""Any event on `nce.fulfilment.order-events.v1`."""

Event: TypeAlias = CheckoutEvent | FulfilmentEvent
"""Any event of the contract. The CloudEvents `type` discriminates: see `EVENT_CLASSES`."""

CHECKOUT_EVENT_CLASSES: Final[tuple[type[OrderEvent], ...]] = (
    OrderDrafted,
    StepCompleted,
    OrderConfirmed,
    OrderAbandoned,
)
FULFILMENT_EVENT_CLASSES: Final[tuple[type[OrderEvent], ...]] = (
    FulfilmentStarted,
    FulfilmentStepCompleted,
    OrderPlaced,
    OrderFailed,
)

TOPIC_EVENT_CLASSES: Final[Mapping[str, tuple[type[OrderEvent], ...]]] = MappingProxyType(
    {
        CHECKOUT_ORDER_EVENTS: CHECKOUT_EVENT_CLASSES,
        FULFILMENT_ORDER_EVENTS: FULFILMENT_EVENT_CLASSES,
    }
)
"""Which event classes each topic carries."""

EVENT_CLASSES: Final[Mapping[str, type[OrderEvent]]] = MappingProxyType(
    {cls.event_type(): cls for cls in (*CHECKOUT_EVENT_CLASSES, *FULFILMENT_EVENT_CLASSES)}
)
"""CloudEvents `type` → model class: the discriminator of `Event`."""
