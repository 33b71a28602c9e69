"""The README's subscriber example works as written, against a real broker."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.schemas import FULFILMENT_SOURCE, to_kafka
from nceflow.schemas.examples import ORDER_ID, example_events

README = Path(__file__).resolve().parents[1] / "README.md"


def _subscriber_example() -> str:
    match = re.search(r"## Consuming order events\n\n```python\n(.*?)```", README.read_text(), re.S)
    assert match, "README lost its subscriber example"
    return match.group(1)


async def test_readme_subscriber_receives_placed_and_failed(
    kafka_bootstrap: str, kafka_topics: KafkaTopics, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        _subscriber_example()
        .replace('"127.0.0.1:9092"', repr(kafka_bootstrap))
        .replace("FULFILMENT_ORDER_EVENTS, group_id=", "TOPIC, group_id=")
        .replace('group_id="crm-sync"', 'group_id="crm-sync", auto_offset_reset="earliest"')
    )
    namespace: dict[str, Any] = {"TOPIC": kafka_topics.fulfilment_order_events}
    exec(compile(source, str(README), "exec"), namespace)  # noqa: S102 - our own README
    broker = namespace["broker"]

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        # A record that is no event first: the example skips it and goes on (no retry loop).
        await producer.send_and_wait(kafka_topics.fulfilment_order_events, b"{not json")
        for event in example_events():
            if event.event_domain == "fulfilment":
                record = to_kafka(event, source=FULFILMENT_SOURCE)
                await producer.send_and_wait(
                    kafka_topics.fulfilment_order_events,
                    record.value,
                    key=record.key,
                    headers=record.headers,
                )
    finally:
        await producer.stop()

    await broker.start()
    try:
        seen = ""
        async with asyncio.timeout(20):
            while "failed" not in seen:
                await asyncio.sleep(0.1)
                seen += capsys.readouterr().out
    finally:
        await broker.stop()
    assert seen.count("skipped not_json") == 1
    assert f"placed {ORDER_ID} ['Xz3Q9fLk2']" in seen
    assert f"failed {ORDER_ID} Your Microsoft account" in seen
