"""Publishing records to Kafka with every guarantee the broker offers (`acks=all`)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from nceflow.checkout.repository import OutboxEntry
from nceflow.runtime.kafka_producer import started_producer
from nceflow.runtime.outbox import publish_in_order
from nceflow.runtime.settings import KafkaSettings


class KafkaPublisher:
    """Sends outbox entries to their topics; returns only when the broker acknowledged all."""

    def __init__(
        self, settings: KafkaSettings, *, client_id: str, timeout_ms: int = 10_000
    ) -> None:
        self._settings = settings
        self._client_id = client_id
        self._timeout_ms = timeout_ms
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> AIOKafkaProducer:
        """Connect to the cluster (raises while it is unreachable; the caller retries)."""
        if self._producer is None:
            self._producer = await started_producer(
                self._settings,
                client_id=self._client_id,
                # No linger: a batch forms anyway while the previous request is in flight
                # (one per broker), and an idle relay sends at once.
                linger_ms=0,
                request_timeout_ms=self._timeout_ms,
                retry_backoff_ms=200,
            )
        return self._producer

    async def stop(self) -> None:
        """Flush and close."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def publish(self, entries: Sequence[OutboxEntry]) -> None:
        """Send `entries` in order (key = order id) and wait for the broker's acknowledgement.

        aiokafka keeps one request in flight per broker, so entries of one key stay in order
        even without the idempotent producer.
        """
        producer = await self.start()
        await publish_in_order(producer, entries, lambda entry: self._settings.topic(entry.topic))
