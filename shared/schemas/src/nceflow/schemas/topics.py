"""Kafka topic names of the order event contract.

One topic per producer, keyed by order id so that all events of one order stay in order.
"""

from __future__ import annotations

from typing import Final

CHECKOUT_ORDER_EVENTS: Final = "nce.checkout.order-events.v1"
"""Checkout publishes OrderDrafted, StepCompleted, OrderConfirmed, OrderAbandoned."""

FULFILMENT_ORDER_EVENTS: Final = "nce.fulfilment.order-events.v1"
"""Fulfilment publishes FulfilmentStarted, FulfilmentStepCompleted, OrderPlaced, OrderFailed."""

FULFILMENT_DEAD_LETTER: Final = "nce.fulfilment.dead-letter.v1"
"""Messages fulfilment could not parse or handle, with the reason and the original bytes."""

CHECKOUT_DEAD_LETTER: Final = "nce.checkout.dead-letter.v1"
"""Records on fulfilment's topic that checkout could not parse, with the reason and the original
bytes."""

ALL_TOPICS: Final = (
    CHECKOUT_ORDER_EVENTS,
    FULFILMENT_ORDER_EVENTS,
    FULFILMENT_DEAD_LETTER,
    CHECKOUT_DEAD_LETTER,
)
