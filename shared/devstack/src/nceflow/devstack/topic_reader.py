"""A test helper that reads a topic from its start in the background; tests wait on conditions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from nceflow.schemas.envelope import ReceivedEvent, from_kafka


class TopicReader:
    """Collects every event of one topic (parsed with `nceflow.schemas`) while the test runs.

    `async with TopicReader(bootstrap, topic) as reader: ... await reader.wait_for(check)`.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.events: list[ReceivedEvent] = []
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
        async for message in self._consumer:
            assert message.value is not None
            self.events.append(from_kafka(message.value))

    def of_type(self, name: str, order_id: str | None = None) -> list[ReceivedEvent]:
        """Events whose type contains `name` (e.g. `OrderConfirmed`), optionally of one order."""
        return [
            e
            for e in self.events
            if f".{name}." in e.type and (order_id is None or e.subject == order_id)
        ]

    async def wait_for(self, check: Callable[[TopicReader], bool], within: float = 30.0) -> None:
        """Wait until `check` holds, failing after `within` seconds with what arrived so far."""
        deadline = asyncio.get_running_loop().time() + within
        while not check(self):
            if asyncio.get_running_loop().time() > deadline:
                types = [e.type.split(".")[-2] for e in self.events]
                raise AssertionError(f"timed out; {len(self.events)} events so far: {types}")
            await asyncio.sleep(0.05)
