"""The Kafka subscriber of checkout's order events (FastStream, manual acknowledgement).

For each record of `nce.checkout.order-events.v1`:
- other checkout events (`OrderDrafted`, `StepCompleted`, `OrderAbandoned`) are skipped on the
  `ce_type` header alone, without parsing the value; so is a checkout event type this version
  does not know (a newer checkout's: forward compatible), except a version of `OrderConfirmed`
  it cannot read, which is an order: dead-lettered, to be replayed by a fulfilment that reads it;
- a record that is not a valid event of the contract (bad JSON, not a CloudEvent, an unknown
  type from anyone but checkout, invalid data) is copied to the dead-letter topic with the
  reason, the original value and headers, and skipped: one poison message never stops the partition;
- an `OrderConfirmed` is recorded (`FulfilmentService.accept_many`, idempotent by event id and
  order id; a batch's orders in one Redis round trip) and the worker is woken;
- an `OrderConfirmed` of an order already known (checkout re-emits it when it hears nothing, or
  the record came again) is answered with the saga's current state
  (`FulfilmentService.answer_known`): `FulfilmentStarted`, and `OrderPlaced`/`OrderFailed` once
  the saga has one. No step runs twice, nothing is placed twice.

Records come in batches (see `build_broker`). The offsets are committed (`message.ack()`) only
after every record's effect is stored in Redis or its dead letter is acknowledged by the broker.
If storing fails (Redis down), the batch is nacked: the consumer seeks back and the records are
delivered again, so nothing is lost (at least once, made exactly once by the idempotent
`accept`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from nceflow.fulfilment.metrics import Metrics
from nceflow.fulfilment.service import Accepted, FulfilmentService
from nceflow.fulfilment.settings import Settings
from nceflow.runtime.dead_letters import DeadLetters
from nceflow.runtime.kafka_consumer import (
    ConsumedRecord,
    ack_after,
    body_as_is,
    parse_leniently,
    records_of,
)
from nceflow.runtime.kafka_security import broker_security
from nceflow.schemas import (
    EVENT_CLASSES,
    OrderAbandoned,
    OrderConfirmed,
    OrderDrafted,
    StepCompleted,
    topics,
)
from nceflow.schemas.envelope import (
    CE_TYPE_HEADER,
    InvalidEventError,
    InvalidEventReason,
    from_kafka,
    header_value,
)

SKIPPED_TYPES = frozenset(cls.event_type() for cls in (OrderDrafted, StepCompleted, OrderAbandoned))
"""Checkout events fulfilment has no use for (it needs `OrderConfirmed` only)."""
_CHECKOUT_TYPES = OrderDrafted.event_type().rsplit(".", 2)[0] + "."  # com.nceflow.checkout.
_ORDER_CONFIRMED = OrderConfirmed.event_type().rsplit(".", 1)[0] + ".v"  # any version


def skipped(event_type: str | None) -> bool:
    """Whether fulfilment has no use for a checkout event of this type: the known ones it does
    not need, and any checkout type it does not know but `OrderConfirmed`'s other versions."""
    if event_type is None:
        return False
    if event_type in SKIPPED_TYPES:
        return True
    return (
        event_type.startswith(_CHECKOUT_TYPES)
        and event_type not in EVENT_CLASSES
        and not event_type.startswith(_ORDER_CONFIRMED)
    )


class Outcome(StrEnum):
    """What happened to one record."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    DEAD_LETTERED = "dead_lettered"


_OUTCOME_BY_ACCEPTED = {
    Accepted.STARTED: Outcome.ACCEPTED,
    Accepted.DUPLICATE_EVENT: Outcome.DUPLICATE,
    Accepted.DUPLICATE_ORDER: Outcome.DUPLICATE,
}


class OrderEventConsumer:
    """Decides what to do with one record; the FastStream glue acknowledges."""

    def __init__(
        self,
        service: FulfilmentService,
        dead_letters: DeadLetters,
        metrics: Metrics,
        on_accepted: Callable[[], None],
    ) -> None:
        self._service = service
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._on_accepted = on_accepted

    async def handle(self, records: Sequence[ConsumedRecord]) -> list[Outcome]:
        """Handle a batch of records, in order; raises only when the batch must be delivered
        again. The batch's confirmed orders are recorded together (one Redis round trip)."""
        outcomes: list[Outcome | None] = []
        confirmed: list[tuple[OrderConfirmed, str]] = []
        for record in records:
            outcome = await self._classify(record, confirmed)
            outcomes.append(outcome)
        results = await self._service.accept_many(confirmed)
        # A known order (a re-emit, or this record delivered again) is answered with where it
        # stands: the subscriber that asked may have missed our events. Before the ack: if the
        # answer cannot be published, the batch comes again and is answered then.
        known = [
            order.order_id
            for (order, _), accepted in zip(confirmed, results, strict=True)
            if accepted is not Accepted.STARTED
        ]
        await self._service.answer_known(known)
        accepted = iter(results)
        result = [outcome or _OUTCOME_BY_ACCEPTED[next(accepted)] for outcome in outcomes]
        for outcome in result:
            self._metrics.messages.labels(outcome.value).inc()
        if Outcome.ACCEPTED in result:
            self._on_accepted()
        return result

    async def _classify(
        self, record: ConsumedRecord, confirmed: list[tuple[OrderConfirmed, str]]
    ) -> Outcome | None:
        """Skip or dead-letter the record, or add its order to `confirmed` (returns None)."""
        if skipped(header_value(record.headers, CE_TYPE_HEADER)):
            return Outcome.SKIPPED
        try:
            received = from_kafka(record.value or b"")
        except InvalidEventError as exc:
            if exc.reason is InvalidEventReason.UNKNOWN_TYPE and skipped(exc.event_type):
                return Outcome.SKIPPED  # a newer checkout's event, without the header
            await self._dead_letter(record, exc.reason.value, exc.detail)
            return Outcome.DEAD_LETTERED
        event = received.data
        if not isinstance(event, OrderConfirmed):
            if received.type in SKIPPED_TYPES:
                return Outcome.SKIPPED
            # A valid event that does not belong on this topic (e.g. a fulfilment event).
            await self._dead_letter(
                record, "unexpected_type", f"{received.type} is not published on this topic"
            )
            return Outcome.DEAD_LETTERED
        confirmed.append((event, received.id))
        return None

    async def _dead_letter(self, record: ConsumedRecord, reason: str, detail: str) -> None:
        await self._dead_letters.dead_letter(record, reason=reason, detail=detail)
        self._metrics.dead_letters.labels(reason).inc()


def build_broker(settings: Settings, consumer: OrderEventConsumer) -> KafkaBroker:
    """A FastStream broker with the order-events subscriber (started by the app's lifespan).

    The subscriber takes what the broker has in batches (up to `consumer_max_records`): the
    framework's per-message work and the offset commit, one broker round trip, are paid once
    per batch instead of once per order. A batch is acknowledged after each of its records is
    stored; when one cannot be (Redis down), the whole batch is nacked and comes again, which
    `accept` absorbs (idempotent by event id)."""
    broker = KafkaBroker(
        settings.kafka.bootstrap_servers,
        client_id="nceflow-fulfilment",
        logger=None,
        security=broker_security(settings.kafka),
    )

    @broker.subscriber(
        settings.kafka.topic(topics.CHECKOUT_ORDER_EVENTS),
        group_id=settings.group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        batch=True,
        max_records=settings.consumer_max_records,
        batch_timeout_ms=settings.consumer_fetch_max_wait_ms,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
        heartbeat_interval_ms=max(300, settings.consumer_session_timeout_ms // 4),
        # The handler reads the raw records: FastStream must not drop a batch whose record has
        # a header that is not UTF-8 or a value that its content-type misdescribes.
        parser=parse_leniently,
        decoder=body_as_is,
    )
    async def on_order_events(message: KafkaMessage) -> None:
        records = records_of(message)
        # A batch that cannot be stored (Redis down) comes again whole, after a pause.
        await ack_after(message, records, lambda: consumer.handle(records), retry_delay=1.0)

    return broker
