"""A Partner Center budget shared by every process of a service, kept in Redis.

Microsoft counts calls per partner tenant, whatever process makes them; a `TokenBucket` counts
only its own process's. With three checkout replicas a per-process budget of 100 calls a minute
is 300, enough to push fulfilment's orders into Microsoft's 429s. `SharedRateLimit` keeps the
budget in a moving window in Redis (the `limits` library), under a key every replica of the
service names alike, and still smooths each process's bursts with its own bucket.

Partner Center calls must not stop because Redis did: if Redis does not answer, the process
falls back to its own bucket (logged) until it answers again.
"""

from __future__ import annotations

import time

import structlog
from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from nceflow.partner_center.rate_limit import RateLimiter, TokenBucket, local_bucket
from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.timing import Sleep, asleep

__all__ = ["SharedRateLimit", "budget_for"]

_log = structlog.get_logger(__name__)

# A caller that finds the window full looks again at least this often (the window may free a
# slot sooner than its oldest call's expiry suggests when that call's process retried).
_MAX_WAIT_SECONDS = 1.0


class SharedRateLimit:
    """At most `limit` calls per `window_seconds` across every process that uses `key`."""

    def __init__(
        self,
        redis_url: str,
        key: str,
        limit: int,
        *,
        window_seconds: int = 60,
        key_prefix: str = "nceflow:pc-budget",
        local: TokenBucket | None = None,
        sleep: Sleep = asleep,
    ) -> None:
        if limit <= 0:
            raise ValueError("limit must be positive; pass no limiter to disable")
        # Our own pool, so that `aclose` can release its connections.
        self._pool = ConnectionPool.from_url(
            redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        self._storage = RedisStorage(
            f"async+{redis_url}",
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=self._pool,  # type: ignore[arg-type]
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._item = RateLimitItemPerSecond(limit, window_seconds)
        self._key = key
        self._local = local
        self._sleep = sleep
        self._degraded = False

    async def acquire(self) -> None:
        """Wait until this process may send one request within the shared budget."""
        if self._local is not None:
            await self._local.acquire()
        while True:
            try:
                if await self._limiter.hit(self._item, self._key):
                    self._recovered()
                    return
                stats = await self._limiter.get_window_stats(self._item, self._key)
            except RedisError as exc:
                self._degrade(exc)
                return  # the process's own bucket (above) is the budget meanwhile
            await self._sleep(min(_MAX_WAIT_SECONDS, max(0.01, stats.reset_time - time.time())))

    async def aclose(self) -> None:
        """Release the Redis connections."""
        await self._pool.aclose()

    def _degrade(self, exc: RedisError) -> None:
        if not self._degraded:
            _log.warning(
                "partner_center.shared_budget_unavailable",
                key=self._key,
                error=f"{type(exc).__name__}: {exc}",
            )
        self._degraded = True

    def _recovered(self) -> None:
        if self._degraded:
            _log.info("partner_center.shared_budget_back", key=self._key)
        self._degraded = False


def budget_for(
    settings: PartnerCenterSettings, *, redis_url: str | None, key_prefix: str
) -> RateLimiter | None:
    """The limiter of a client for `settings`: none when `rate_limit_per_minute` is 0; with a
    Redis, shared by every process under `key_prefix` and the partner tenant; else this
    process's own bucket."""
    if settings.rate_limit_per_minute <= 0:
        return None
    local = local_bucket(settings)
    if redis_url is None:
        return local
    return SharedRateLimit(
        redis_url,
        settings.tenant_id,
        settings.rate_limit_per_minute,
        key_prefix=key_prefix,
        local=local,
    )
