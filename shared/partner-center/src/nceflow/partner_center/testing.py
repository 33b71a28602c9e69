"""Test helpers for code that uses the client: a fake clock for its retry, rate-limit and token
cache waits, so tests check waiting times without sleeping."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Monotonic time that only moves when someone sleeps (or the test advances it)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still yield, like a real sleep, so other tasks run
