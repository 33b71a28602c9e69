"""Injectable time: the retry policy, rate limiter and token cache read a clock and sleep
through these, so tests drive them with a fake clock instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
"""Monotonic seconds."""

Sleep = Callable[[float], Awaitable[None]]
"""Wait this many seconds."""

monotonic: Clock = time.monotonic
asleep: Sleep = asyncio.sleep
