"""Consumes fulfilment's order events to keep the customer's order status up to date.

A FastStream subscriber in an explicit consumer group. The offset is committed only after the
order's new state is stored (`AckPolicy.ACK`: acknowledge after the handler returns, not before),
and applying an event twice changes nothing (each order remembers the event ids it applied).
A message that is not a valid event is logged and skipped: retrying it would never succeed.
"""

from __future__ import annotations

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from nceflow.checkout.service import CheckoutService
from nceflow.runtime.settings import KafkaSettings
from nceflow.schemas import topics
from nceflow.schemas.envelope import InvalidEventError, from_kafka

_log = structlog.get_logger(__name__)


def fulfilment_broker(
    settings: KafkaSettings, service: CheckoutService, *, group_id: str
) -> KafkaBroker:
    """A broker whose one subscriber applies fulfilment events to the orders read model."""
    broker = KafkaBroker(settings.bootstrap_servers, client_id="nceflow-checkout-orders")

    @broker.subscriber(
        settings.topic(topics.FULFILMENT_ORDER_EVENTS),
        group_id=group_id,
        ack_policy=AckPolicy.ACK,
        auto_offset_reset="earliest",
    )
    async def on_fulfilment_event(message: KafkaMessage) -> None:
        try:
            received = from_kafka(message.body)
        except InvalidEventError as exc:
            _log.warning(
                "skipping an invalid fulfilment event", reason=exc.reason.value, detail=exc.detail
            )
            return
        await service.apply_fulfilment_event(received)

    return broker
