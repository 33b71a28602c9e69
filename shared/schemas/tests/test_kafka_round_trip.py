"""Our records survive a real broker: key, headers and value come back as they were sent."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.schemas import CHECKOUT_SOURCE, from_kafka, to_kafka
from nceflow.schemas.envelope import CE_ID_HEADER, CE_TYPE_HEADER, header_value
from nceflow.schemas.examples import example_events

CONSUME_TIMEOUT_S = 20.0


async def _consume(bootstrap: str, topic: str, count: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `count` records as a fresh consumer group, committing only once all arrived."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"schemas-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(CONSUME_TIMEOUT_S):
            while len(received) < count:
                batch = await consumer.getmany(timeout_ms=500)
                received += [record for records in batch.values() for record in records]
        await consumer.commit()
    finally:
        await consumer.stop()
    return received


async def test_every_event_type_round_trips_through_the_broker(
    kafka_bootstrap: str, kafka_topics: KafkaTopics
) -> None:
    topic = kafka_topics.checkout_order_events
    events = example_events()
    sent = [to_kafka(event, source=CHECKOUT_SOURCE) for event in events]
    # Tansu has no idempotent producer; acks=all is what our producers use.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for record in sent:
            await producer.send_and_wait(
                topic, record.value, key=record.key, headers=record.headers
            )
    finally:
        await producer.stop()

    received = await _consume(kafka_bootstrap, topic, len(sent))

    # One key, so one partition: the broker keeps the order of one order's events.
    assert [from_kafka(record.value).data for record in received] == events
    for record, original in zip(received, sent, strict=True):
        assert record.key == original.key
        headers = list(record.headers)
        assert header_value(headers, CE_ID_HEADER) == from_kafka(record.value).id
        assert header_value(headers, CE_TYPE_HEADER) == from_kafka(record.value).type
