"""Client-side rate limit per partner tenant: a token bucket that makes bursts queue in-process.

Partner Center throttles customer, order and cart resources around 500 requests per minute per
partner tenant. Waiting here is cheaper than collecting 429s: a burst of orders is smoothed to the
allowed rate. The bucket never holds a lock while a caller waits or calls the network: `acquire()`
reserves a slot synchronously (the event loop runs one coroutine at a time, so the arithmetic is
atomic) and then sleeps until the reserved slot comes due, outside any critical section.
"""

from __future__ import annotations

from typing import Protocol

from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.timing import Clock, Sleep, asleep, monotonic


class RateLimiter(Protocol):
    """What the client waits on before each call (`TokenBucket`, `SharedRateLimit`); the
    client closes it with itself."""

    async def acquire(self) -> None: ...

    async def aclose(self) -> None: ...


class TokenBucket:
    """`rate_per_minute` tokens per minute, at most `burst` available at once."""

    def __init__(
        self,
        rate_per_minute: float,
        *,
        burst: int | None = None,
        clock: Clock = monotonic,
        sleep: Sleep = asleep,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive; pass no limiter to disable")
        self._rate = rate_per_minute / 60.0  # tokens per second
        self._capacity = float(burst if burst is not None else max(1, int(rate_per_minute // 10)))
        self._tokens = self._capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()

    @property
    def capacity(self) -> float:
        return self._capacity

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = now

    def reserve(self) -> float:
        """Take one token now and return how long the caller must wait before using it.

        Tokens may go negative: each waiting caller holds a reservation at its own due time,
        which keeps the order fair (first come, first served) without a lock or a queue.
        """
        self._refill()
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate

    async def acquire(self) -> None:
        """Wait until this caller may send one request."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)

    async def aclose(self) -> None:
        """Nothing to release: the bucket is in memory."""


def local_bucket(
    settings: PartnerCenterSettings, *, clock: Clock = monotonic, sleep: Sleep = asleep
) -> TokenBucket:
    """This process's bucket for `settings`' rate limit and burst."""
    return TokenBucket(
        settings.rate_limit_per_minute, burst=settings.rate_limit_burst, clock=clock, sleep=sleep
    )
