"""The outbox record survives its store byte for byte; publishing keeps the order and waits
for every acknowledgement (against a real broker: checkout's and fulfilment's outbox tests)."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from nceflow.runtime.outbox import OutboxRecord, publish_in_order


@given(
    key=st.binary(max_size=64),
    value=st.binary(max_size=256),
    headers=st.lists(st.tuples(st.text(max_size=10), st.binary(max_size=32)), max_size=4),
)
def test_a_record_reads_back_byte_for_byte(
    key: bytes, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    record = OutboxRecord(key=key, value=value, headers=headers)
    assert OutboxRecord.loads(record.dumps()) == record
    assert OutboxRecord.loads(record.dumps().encode()) == record


class Producer:
    """Queues sends in order; the test acknowledges them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []
        self.acks: list[asyncio.Future[object]] = []

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[object]:
        self.sent.append((topic, key, value))
        ack: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


async def test_records_are_sent_in_order_and_publishing_waits_for_every_ack() -> None:
    producer = Producer()
    records = [OutboxRecord(key=b"ord-1", value=bytes([n]), headers=[]) for n in range(3)]

    publishing = asyncio.create_task(publish_in_order(producer, records, lambda _: "events"))
    await asyncio.sleep(0)  # the task queues every send (none suspends), then waits for acks
    assert len(producer.acks) == 3
    producer.acks[0].set_result(None)
    producer.acks[2].set_result(None)
    await asyncio.sleep(0)
    assert not publishing.done()  # the second is not acknowledged yet
    producer.acks[1].set_result(None)
    await publishing

    assert producer.sent == [("events", b"ord-1", bytes([n])) for n in range(3)]
