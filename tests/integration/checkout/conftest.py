"""Fixtures of checkout's cross-service tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from nceflow.devstack.processes import free_port, start_service
from nceflow.schemas.envelope import ReceivedEvent, from_kafka


@pytest.fixture(scope="session")
def catalog_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real catalog service, as its own process."""
    log: Path = tmp_path_factory.mktemp("catalog") / "catalog.log"
    proc = start_service(
        "nceflow.catalog", free_port(), {}, port_variable="NCEFLOW_CATALOG_PORT", log_path=log
    )
    try:
        yield proc.url
    finally:
        proc.stop()


class TopicReader:
    """Reads a topic from the start in the background; tests wait on what arrived."""

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

    async def wait_for(self, check: Callable[[TopicReader], bool], within: float = 30.0) -> None:
        """Wait until `check` holds, failing after `within` seconds."""
        deadline = asyncio.get_running_loop().time() + within
        while not check(self):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out with {len(self.events)} events")
            await asyncio.sleep(0.05)


@pytest.fixture
def topic_reader() -> Callable[[str, str], TopicReader]:
    """`async with topic_reader(bootstrap, topic) as reader:` collects a topic's events."""
    return TopicReader
