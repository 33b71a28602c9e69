"""Publishing to Kafka: fulfilment events (from the outbox) and dead letters.

A plain aiokafka producer rather than the subscriber's FastStream broker: dead letters must keep
the original headers byte for byte (repeated keys included), which FastStream's `dict` headers
cannot. One producer for both, with the guarantees of `nceflow.runtime.kafka_producer` (`acks=all`,
the idempotent producer where the broker supports it); dead letters are written by the helper
checkout's consumer uses too (`nceflow.runtime.dead_letters`).
"""

from __future__ import annotations

from collections.abc import Sequence

from nceflow.runtime.dead_letters import send_dead_letter
from nceflow.runtime.kafka_consumer import ConsumedRecord
from nceflow.runtime.kafka_producer import reliable_producer
from nceflow.runtime.outbox import OutboxRecord, publish_in_order
from nceflow.runtime.settings import KafkaSettings
from nceflow.schemas import topics


class KafkaPublisher:
    """Sends fulfilment events and dead letters; key = order id."""

    def __init__(self, settings: KafkaSettings, *, client_id: str = "nceflow-fulfilment") -> None:
        self._settings = settings
        self._producer = reliable_producer(
            settings,
            client_id=client_id,
            # A saga step waits for its events' acknowledgement before the next step, so a
            # linger is added to every step (~7.5 -> ~5 ms per step without one, at low load);
            # concurrent sagas still share requests (what queues while one is in flight).
            linger_ms=0,
        )
        self.events_topic = settings.topic(topics.FULFILMENT_ORDER_EVENTS)
        self.dead_letter_topic = settings.topic(topics.FULFILMENT_DEAD_LETTER)

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish_events(self, records: Sequence[OutboxRecord]) -> None:
        """Publish in order and wait for every acknowledgement."""
        await publish_in_order(self._producer, records, lambda _: self.events_topic)

    async def dead_letter(self, record: ConsumedRecord, *, reason: str, detail: str) -> None:
        """Copy a record to the dead-letter topic with why it could not be handled."""
        await send_dead_letter(
            self._producer, self.dead_letter_topic, record, reason=reason, detail=detail
        )

    async def send_raw(
        self,
        topic: str,
        *,
        value: bytes | None,
        key: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> None:
        """Send a record as is (replaying a dead letter to its original topic)."""
        await self._producer.send_and_wait(topic, value=value, key=key, headers=list(headers))
