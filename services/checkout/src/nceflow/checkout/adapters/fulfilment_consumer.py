"""Consumes fulfilment's order events to keep the customer's order status up to date.

A FastStream subscriber in an explicit consumer group, acknowledged by hand
(`AckPolicy.MANUAL`). For each record of `nce.fulfilment.order-events.v1`:
- a valid event is applied to the order (`OrderService.apply_fulfilment_event`) and the
  offset is committed only after the order's new state is stored;
- a record that is not a valid event of the contract (bad JSON, not a CloudEvent, an unknown
  type, invalid data), or a valid event that fulfilment does not publish (`unexpected_type`),
  is copied to `nce.checkout.dead-letter.v1` with the reason, the original
  value, key and headers, and committed once the broker has the dead letter: retrying it would
  never succeed, and one poison record must not stop the partition;
- when the effect cannot be stored (Redis down) or the dead letter cannot be sent (broker
  down), nothing is committed: after a pause the consumer seeks back to the record and it comes
  again, until it goes through. Applying an event twice changes nothing (each order remembers
  the event ids it applied), so at-least-once delivery shows the customer each status once.

Not `AckPolicy.ACK`: FastStream acknowledges with that policy even when the handler raised,
which commits past an event whose effect was never stored and loses the status for good. And
FastStream neither parses headers nor decodes the value for the handler here
(`nceflow.runtime.kafka_consumer`): it fails on headers that are not UTF-8 or a value its
`content-type` header misdescribes, before the handler runs, and such a record would be lost
instead of dead-lettered.
"""

from __future__ import annotations

from enum import StrEnum

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from nceflow.checkout.orders import OrderService
from nceflow.runtime.dead_letters import DeadLetters
from nceflow.runtime.kafka_consumer import (
    ConsumedRecord,
    ack_after,
    body_as_is,
    parse_leniently,
    records_of,
)
from nceflow.runtime.kafka_security import broker_security
from nceflow.runtime.settings import KafkaSettings
from nceflow.schemas import topics
from nceflow.schemas.base import FulfilmentOrderEvent
from nceflow.schemas.envelope import InvalidEventError, from_kafka

RETRY_DELAY_SECONDS = 1.0
"""Pause before a record that could not be stored comes again: a Redis outage is not a hot loop."""


class Outcome(StrEnum):
    """What happened to one record."""

    APPLIED = "applied"
    DEAD_LETTERED = "dead_lettered"


class FulfilmentEventHandler:
    """Decides what to do with one record; the FastStream glue acknowledges."""

    def __init__(self, orders: OrderService, dead_letters: DeadLetters) -> None:
        self._orders = orders
        self._dead_letters = dead_letters

    async def handle(self, record: ConsumedRecord) -> Outcome:
        """Apply or dead-letter the record; raises only when it must be delivered again."""
        try:
            received = from_kafka(record.value or b"")
        except InvalidEventError as exc:
            await self._dead_letter(record, exc.reason.value, exc.detail)
            return Outcome.DEAD_LETTERED
        if not isinstance(received.data, FulfilmentOrderEvent):
            # A valid event that does not belong on this topic (e.g. a checkout event).
            await self._dead_letter(
                record, "unexpected_type", f"{received.type} is not published on this topic"
            )
            return Outcome.DEAD_LETTERED
        await self._orders.apply_fulfilment_event(received)
        return Outcome.APPLIED

    async def _dead_letter(self, record: ConsumedRecord, reason: str, detail: str) -> None:
        await self._dead_letters.dead_letter(record, reason=reason, detail=detail)


def fulfilment_broker(
    settings: KafkaSettings,
    handler: FulfilmentEventHandler,
    *,
    group_id: str,
    retry_delay: float = RETRY_DELAY_SECONDS,
) -> KafkaBroker:
    """A broker whose one subscriber hands fulfilment's records to `handler`."""
    broker = KafkaBroker(
        settings.bootstrap_servers,
        client_id="nceflow-checkout-orders",
        security=broker_security(settings),
    )

    @broker.subscriber(
        settings.topic(topics.FULFILMENT_ORDER_EVENTS),
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        parser=parse_leniently,
        decoder=body_as_is,
    )
    async def on_fulfilment_event(message: KafkaMessage) -> None:
        (record,) = records_of(message)
        await ack_after(message, [record], lambda: handler.handle(record), retry_delay=retry_delay)

    return broker
