"""A test helper that reads a topic from its start in the background; tests wait on conditions."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer

from nceflow.schemas import Event
from nceflow.schemas.envelope import InvalidEventError, ReceivedEvent, from_kafka


class TopicReader:
    """Keeps every record of one topic, and every event among them parsed with
    `nceflow.schemas`, while the test runs. A record that is not an event of the contract (a
    dead letter's poison) is kept in `records` only.

    `async with TopicReader(bootstrap, topic) as reader: ... await reader.wait_for(check)`.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        self.records: list[Any] = []
        """Every record, as aiokafka gave it (key, value, headers byte for byte)."""
        self.received: list[ReceivedEvent] = []
        """The records that are events of the contract, parsed (envelope and data)."""
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicReader:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _read(self) -> None:
        async for record in self._consumer:
            self.records.append(record)
            with contextlib.suppress(InvalidEventError):
                self.received.append(from_kafka(record.value or b""))

    @property
    def events(self) -> list[Event]:
        """The events' data, in the order they arrived."""
        return [received.data for received in self.received]

    def of(self, order_id: str) -> list[Event]:
        """The events of one order, in order."""
        return [event for event in self.events if event.order_id == order_id]

    def of_type(self, name: str, order_id: str | None = None) -> list[ReceivedEvent]:
        """Events whose type contains `name` (e.g. `OrderConfirmed`), optionally of one order."""
        return [
            e
            for e in self.received
            if f".{name}." in e.type and (order_id is None or e.subject == order_id)
        ]

    async def wait_for(self, check: Callable[[TopicReader], bool], within: float = 30.0) -> None:
        """Wait until `check` holds; `TimeoutError` after `within` seconds, naming what came."""
        deadline = time.monotonic() + within
        while not check(self):
            if time.monotonic() > deadline:
                kinds = [e.type.split(".")[-2] for e in self.received[-20:]]
                raise TimeoutError(
                    f"condition not met in {within}s; {len(self.records)} records, "
                    f"the last events: {kinds}"
                )
            await asyncio.sleep(0.05)
