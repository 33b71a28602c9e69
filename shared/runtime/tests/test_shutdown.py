"""Shutdown steps with deadlines: a step that hangs, even one that ignores its cancellation, is
left behind after its time and the shutdown goes on."""

from __future__ import annotations

import asyncio
import time

from nceflow.runtime.shutdown import stop_within


async def test_a_finished_step_is_reported_done() -> None:
    assert await stop_within("quick", asyncio.sleep(0), 1.0)


async def test_a_failing_step_does_not_stop_the_shutdown() -> None:
    async def broken() -> None:
        raise RuntimeError("connection reset")

    assert not await stop_within("broken", broken(), 1.0)


async def test_a_step_that_ignores_cancellation_is_abandoned_at_its_deadline() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue  # what a badly behaved client library does

    started = time.monotonic()
    assert not await stop_within("stubborn", stubborn(), 0.2)
    assert time.monotonic() - started < 5
    release.set()
