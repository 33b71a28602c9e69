"""Manual acknowledgement: ack once the effects are stored, nack (after a pause) when not."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from nceflow.runtime.kafka_consumer import ack_after, records_of


class Message:
    """A FastStream message as `ack_after` sees it."""

    def __init__(self, raw: Any) -> None:
        self.raw_message = raw
        self.calls: list[str] = []

    async def ack(self) -> None:
        self.calls.append("ack")

    async def nack(self) -> None:
        self.calls.append("nack")


def record(offset: int) -> Any:
    return SimpleNamespace(
        topic="t", partition=0, offset=offset, key=b"k", value=b"v", headers=[("h", b"1")]
    )


def test_a_batch_or_one_record_gives_its_records() -> None:
    assert [r.offset for r in records_of(Message((record(1), record(2))))] == [1, 2]
    (one,) = records_of(Message(record(7)))
    assert (one.offset, one.key, list(one.headers)) == (7, b"k", [("h", b"1")])


async def test_stored_records_are_acknowledged_once() -> None:
    message = Message(record(1))
    handled: list[int] = []

    async def handle() -> None:
        handled.append(1)

    await ack_after(message, records_of(message), handle, retry_delay=0)
    assert (handled, message.calls) == ([1], ["ack"])


async def test_records_not_stored_are_nacked_to_come_again_never_acknowledged() -> None:
    message = Message((record(1), record(2)))

    async def handle() -> None:
        raise ConnectionError("redis went away")

    await ack_after(message, records_of(message), handle, retry_delay=0)
    assert message.calls == ["nack"]
