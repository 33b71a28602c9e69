"""The foundation against real servers: FastStream over the broker, Redis transactions."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from redis.exceptions import WatchError

from nceflow.devstack.pytest_plugin import KafkaServer, KafkaTopics
from nceflow.schemas import CHECKOUT_SOURCE, OrderConfirmed, from_kafka, to_kafka
from nceflow.schemas.examples import order_confirmed_existing_indirect

WAIT_S = 30.0


async def test_order_confirmed_round_trips_through_faststream_with_manual_ack(
    kafka_server: KafkaServer, kafka_topics: KafkaTopics
) -> None:
    topic = kafka_topics.checkout_order_events
    group = f"roundtrip-{uuid.uuid4().hex[:8]}"
    sent = order_confirmed_existing_indirect()
    record = to_kafka(sent, source=CHECKOUT_SOURCE)
    received: asyncio.Future[OrderConfirmed] = asyncio.get_running_loop().create_future()

    broker = KafkaBroker(
        kafka_server.bootstrap_servers,
        acks="all",
        enable_idempotence=kafka_server.supports_idempotence,
    )

    @broker.subscriber(
        topic, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.MANUAL
    )
    async def on_event(body: bytes, message: KafkaMessage) -> None:
        event = from_kafka(body).data
        assert isinstance(event, OrderConfirmed)
        await message.ack()  # only now is the offset committed: the effect came first
        if not received.done():
            received.set_result(event)

    async with broker:
        await broker.start()
        await broker.publish(
            record.value, topic=topic, key=record.key, headers=dict(_str_headers(record.headers))
        )
        got = await asyncio.wait_for(received, WAIT_S)

    assert got == sent
    # The group's committed offset covers the message: a restart would not redeliver it.
    partition = await _partition_of(kafka_server.bootstrap_servers, topic, record.key)
    committed = await _committed_offset(kafka_server.bootstrap_servers, group, partition)
    assert committed == 1


def _str_headers(headers: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    return [(name, value.decode()) for name, value in headers]


async def _partition_of(bootstrap: str, topic: str, key: bytes) -> TopicPartition:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        for partition in consumer.partitions_for_topic(topic) or set():
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            if (await consumer.end_offsets([tp]))[tp] > 0:
                return tp
    finally:
        await consumer.stop()
    raise AssertionError("the message is on no partition")


async def _committed_offset(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        offset: int | None = await consumer.committed(tp)
        return offset
    finally:
        await consumer.stop()


async def test_redis_multi_writes_state_and_outbox_together_and_watch_detects_a_race(
    redis_url: str, redis_prefix: str
) -> None:
    client = aioredis.from_url(redis_url)
    draft_key = f"{redis_prefix}:checkout:draft:{{o1}}"
    outbox_key = f"{redis_prefix}:checkout:outbox:{{o1}}"
    try:
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(draft_key)
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(draft_key, b'{"version": 1}')
            pipe.xadd(outbox_key, {"event": b"OrderDrafted"})
            await pipe.execute()
        assert await client.get(draft_key) == b'{"version": 1}'
        assert await client.xlen(outbox_key) == 1

        # A writer that changed the key between WATCH and EXEC makes the transaction fail whole.
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(draft_key)
            await client.set(draft_key, b'{"version": 2}')
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(draft_key, b'{"version": 3}')
            pipe.xadd(outbox_key, {"event": b"StepCompleted"})
            with pytest.raises(WatchError):
                await pipe.execute()
        assert await client.get(draft_key) == b'{"version": 2}'
        assert await client.xlen(outbox_key) == 1
    finally:
        await client.delete(draft_key, outbox_key)
        await client.aclose()
