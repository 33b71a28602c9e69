"""The transactional outbox's record, and publishing it in order.

A service writes the Kafka records of a change together with the change (checkout in a Redis
stream, fulfilment in the saga's list) and publishes them afterwards; a crash in between
publishes them again with the same CloudEvents id, which consumers dedupe. How each store keeps
its records is its own business; what a record is, and how it reaches Kafka, is one thing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self, TypeVar


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A Kafka record waiting to be published (value and headers byte for byte)."""

    key: bytes
    value: bytes
    headers: Sequence[tuple[str, bytes]]

    def dumps(self) -> str:
        """The record as one JSON string (for a store that keeps strings)."""
        # Headers may be arbitrary bytes: latin-1 maps every byte to one code point and back.
        return json.dumps(
            {
                "key": self.key.decode("latin-1"),
                "value": self.value.decode("latin-1"),
                "headers": [[k, v.decode("latin-1")] for k, v in self.headers],
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> Self:
        """A record from `dumps`."""
        data = json.loads(raw)
        return cls(
            key=data["key"].encode("latin-1"),
            value=data["value"].encode("latin-1"),
            headers=[(k, v.encode("latin-1")) for k, v in data["headers"]],
        )


class Producer(Protocol):
    """What publishing needs of an aiokafka producer."""

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[object]: ...


R = TypeVar("R", bound=OutboxRecord)


async def publish_in_order(
    producer: Producer, records: Sequence[R], topic_of: Callable[[R], str]
) -> None:
    """Send `records` in order and return once the broker acknowledged every one.

    Each send is queued before the next (aiokafka keeps one request in flight per broker, so
    the records of one key stay in order even without the idempotent producer); the
    acknowledgements are awaited together, so a batch costs one round trip, not one per record.
    """
    pending = [
        await producer.send(
            topic_of(record), value=record.value, key=record.key, headers=list(record.headers)
        )
        for record in records
    ]
    await asyncio.gather(*pending)


__all__ = ["OutboxRecord", "Producer", "publish_in_order"]
