"""Dead letters on a real broker: a record too large to copy whole with its `dlq_*` headers is
dead-lettered truncated, with its size and hash, instead of failing the send forever."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

from nceflow.devstack.pytest_plugin import KafkaServer, KafkaTopics
from nceflow.runtime.dead_letters import send_dead_letter
from nceflow.runtime.kafka_consumer import ConsumedRecord
from nceflow.runtime.kafka_producer import started_producer
from nceflow.runtime.settings import KafkaSettings
from nceflow.schemas.dead_letter import (
    DLQ_OFFSET,
    DLQ_ORIGINAL_SHA256,
    DLQ_ORIGINAL_SIZE,
    DLQ_REASON,
    TRUNCATED_VALUE_BYTES,
)

LIMIT = 64 * 1024
"""The dead-letter producer's largest request in this test (a broker's message limit in life)."""


async def test_a_record_too_large_to_dead_letter_whole_arrives_truncated(
    kafka_server: KafkaServer, kafka_topics: KafkaTopics
) -> None:
    settings = KafkaSettings(
        bootstrap_servers=kafka_server.bootstrap_servers,
        enable_idempotence=kafka_server.supports_idempotence,
    )
    value = b"z" * (LIMIT * 2)
    record = ConsumedRecord(
        topic="checkout.order-events",
        partition=3,
        offset=41,
        key=b"ord-huge",
        value=value,
        headers=[("x-trace", b"42")],
    )
    producer = await started_producer(settings, client_id="dlq-test", max_request_size=LIMIT)
    try:
        await send_dead_letter(
            producer, kafka_topics.dead_letter, record, reason="not_json", detail="not JSON"
        )
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        kafka_topics.dead_letter,
        bootstrap_servers=kafka_server.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        letters: list[Any] = []
        deadline = time.monotonic() + 20
        while not letters and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            letters = [r for batch in batches.values() for r in batch]
    finally:
        await consumer.stop()
    (letter,) = letters
    headers = dict(letter.headers)
    assert letter.key == b"ord-huge"
    assert letter.value == value[:TRUNCATED_VALUE_BYTES]
    assert headers[DLQ_ORIGINAL_SIZE] == str(len(value)).encode()
    assert headers[DLQ_ORIGINAL_SHA256] == hashlib.sha256(value).hexdigest().encode()
    assert headers[DLQ_REASON] == b"not_json"
    assert headers[DLQ_OFFSET] == b"41"
    assert headers["x-trace"] == b"42"
