"""FastStream subscriber hooks for consumers that read the raw Kafka records themselves.

FastStream's Kafka parser decodes every header value as UTF-8 for its own metadata, and its
decoder decodes the value as the record's `content-type` header says; both run before the
handler. A record with a header that is not UTF-8, or a value its `content-type` misdescribes
(labelled JSON, not JSON), raises there: the handler never sees it, so it is neither handled nor
dead-lettered, and in a batch the valid records beside it vanish with it while the next batch's
commit moves the offset past them. Consumers that parse `raw_message` themselves (with
`nceflow.schemas.envelope.from_kafka`) install both hooks, and acknowledge by hand once the
records' effects are stored (`ack_after`):

    @broker.subscriber(..., ack_policy=AckPolicy.MANUAL, parser=parse_leniently, decoder=body_as_is)
    async def on_records(message: KafkaMessage) -> None:
        records = records_of(message)
        await ack_after(message, records, lambda: handler.handle(records), retry_delay=1.0)
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog

if TYPE_CHECKING:
    from faststream.message import StreamMessage

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """The parts of a consumed Kafka record a handler uses (and a dead letter keeps)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]

    @classmethod
    def of(cls, raw: Any) -> ConsumedRecord:
        """From an aiokafka `ConsumerRecord` (FastStream's `raw_message`)."""
        return cls(
            topic=raw.topic,
            partition=raw.partition,
            offset=raw.offset,
            key=raw.key,
            value=raw.value,
            headers=list(raw.headers or ()),
        )


async def parse_leniently(
    raw: Any, parse: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's own parser (one record or a batch), given a readable copy when a header
    value is not UTF-8; `raw_message` stays the original, which is all the handler reads."""
    try:
        return await parse(raw)
    except UnicodeDecodeError:
        readable = tuple(_readable(r) for r in raw) if isinstance(raw, tuple) else _readable(raw)
        message = await parse(readable)
        message.raw_message = raw
        return message


def _readable(record: Any) -> Any:
    headers = [(key, value.decode(errors="replace").encode()) for key, value in record.headers]
    return dataclasses.replace(record, headers=headers)


async def body_as_is(message: StreamMessage[Any]) -> Any:
    """The value's bytes (a list of them for a batch), undecoded: the handler parses them."""
    return message.body


class Acknowledgeable(Protocol):
    """What `ack_after` needs of a FastStream message (`KafkaMessage`)."""

    raw_message: Any

    async def ack(self) -> None: ...

    async def nack(self) -> None: ...


def records_of(message: Acknowledgeable) -> list[ConsumedRecord]:
    """The records of a message: one, or a batch's (FastStream gives a batch as a tuple)."""
    raw = message.raw_message
    return [ConsumedRecord.of(item) for item in (raw if isinstance(raw, tuple) else (raw,))]


async def ack_after(
    message: Acknowledgeable,
    records: Sequence[ConsumedRecord],
    handle: Callable[[], Awaitable[object]],
    *,
    retry_delay: float,
) -> None:
    """Acknowledge the message once `handle` has stored its records' effects (or dead-lettered
    them). When it raises, nothing is acknowledged: after `retry_delay` (no spinning on a Redis
    or broker outage) the message is nacked, the consumer seeks back, and the records come
    again: at least once, made exactly once by handlers idempotent by event id."""
    try:
        await handle()
    except Exception:
        first = records[0] if records else None
        _log.exception(
            "records not handled; they come again",
            topic=first.topic if first else None,
            partition=first.partition if first else None,
            offset=first.offset if first else None,
            records=len(records),
        )
        await asyncio.sleep(retry_delay)
        await message.nack()
        return
    await message.ack()


__all__ = [
    "Acknowledgeable",
    "ConsumedRecord",
    "ack_after",
    "body_as_is",
    "parse_leniently",
    "records_of",
]
