"""Copying a record a consumer cannot handle to a dead-letter topic, losing nothing.

A dead letter is the original record byte for byte (value, key, and headers in their order,
repeated keys included), plus the `dlq_*` headers of `nceflow.schemas.dead_letter` saying why and
where it came from, so it can be inspected and replayed as is. It is sent with a plain aiokafka
producer, not a FastStream broker: FastStream's `dict` headers would merge repeated keys.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from nceflow.runtime.kafka_consumer import ConsumedRecord
from nceflow.runtime.kafka_producer import started_producer
from nceflow.runtime.settings import KafkaSettings
from nceflow.schemas.dead_letter import dead_letter_headers, truncated_dead_letter

_log = structlog.get_logger(__name__)


class DeadLetters(Protocol):
    """Where a consumer sends the records it cannot handle."""

    async def dead_letter(self, record: ConsumedRecord, *, reason: str, detail: str) -> None:
        """Copy `record` to the dead-letter topic with why it could not be handled."""
        ...


async def send_dead_letter(
    producer: AIOKafkaProducer,
    dead_letter_topic: str,
    record: ConsumedRecord,
    *,
    reason: str,
    detail: str,
) -> None:
    """Copy `record` to `dead_letter_topic` with why it could not be handled; returns once the
    broker has acknowledged it. A record too large to copy whole is copied truncated. Logged
    with where the record came from (never its content)."""
    _log.warning(
        "dead-lettering a record",
        reason=reason,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        dead_letter_topic=dead_letter_topic,
    )
    headers = dead_letter_headers(
        record.headers,
        reason=reason,
        detail=detail,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
    try:
        await producer.send_and_wait(
            dead_letter_topic, value=record.value, key=record.key, headers=headers
        )
    except MessageSizeTooLargeError:
        # Over the producer's `max_request_size` or the broker's message limit once the
        # `dlq_*` headers are added: keep its start, its size and its hash rather than lose it
        # (or stall the partition retrying a send that can never succeed).
        value, cut_headers = truncated_dead_letter(record.value, headers)
        await producer.send_and_wait(
            dead_letter_topic, value=value, key=record.key, headers=cut_headers
        )


class DeadLetterProducer:
    """A consumer's own dead-letter producer, for a service that has no producer at hand.

    It connects on the first dead letter, not at start-up: poison records are rare, and a
    replica should not hold a broker connection for them all the time. A failed connection is
    raised to the caller (which does not acknowledge the record) and tried again next time.
    """

    def __init__(self, settings: KafkaSettings, dead_letter_topic: str, *, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self.topic = settings.topic(dead_letter_topic)
        self._producer: AIOKafkaProducer | None = None
        self._connecting = asyncio.Lock()

    async def dead_letter(self, record: ConsumedRecord, *, reason: str, detail: str) -> None:
        """Copy `record` to the dead-letter topic with why it could not be handled."""
        producer = await self._started()
        await send_dead_letter(producer, self.topic, record, reason=reason, detail=detail)

    async def stop(self) -> None:
        """Flush and disconnect (a no-op when no dead letter was ever sent)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def _started(self) -> AIOKafkaProducer:
        async with self._connecting:
            if self._producer is None:
                self._producer = await started_producer(self._settings, client_id=self._client_id)
            return self._producer
