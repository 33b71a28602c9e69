"""Partner Center's per-partner-tenant throttling ("API throttling guidance")."""

from __future__ import annotations

import math
import time
from collections import deque

WINDOW_SECONDS = 60.0


class PartnerRateLimiter:
    """A sliding one-minute window of accepted requests per partner tenant."""

    def __init__(self) -> None:
        self._accepted: dict[str, deque[float]] = {}

    def reset(self) -> None:
        """Forget every partner's history."""
        self._accepted.clear()

    def admit(self, partner: str, limit_per_minute: int, now: float | None = None) -> int | None:
        """Record the request and return None, or return the seconds to wait when over the limit.

        A limit of 0 turns throttling off. Refused requests do not count, so a client that
        honours `Retry-After` gets through once the window has moved on.
        """
        if limit_per_minute <= 0:
            return None
        now = time.monotonic() if now is None else now
        window = self._accepted.setdefault(partner, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit_per_minute:
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
        window.append(now)
        return None


def throttled_body(retry_after: int) -> dict[str, object]:
    """The body Partner Center sends with a 429."""
    return {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {retry_after} seconds.",
    }


class ThrottledError(Exception):
    """A request refused by the per-partner rate limit."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after} s")
        self.retry_after = retry_after
