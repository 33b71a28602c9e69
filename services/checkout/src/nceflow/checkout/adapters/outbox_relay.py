"""The outbox relay: moves events from the Redis outbox streams to Kafka, losing none.

Each shard's stream is read through one consumer group, so any number of relays (one per
service replica, or standalone) share the work. An entry is acknowledged (`XACK` + `XDEL`) only
after Kafka acknowledged the publish; if a relay dies in between, the entry stays pending and
another relay takes it over with `XAUTOCLAIM` once it has been idle for `claim_idle_ms`, then
publishes it again with the same event id (subscribers deduplicate by it). Delivery is therefore
at least once. Entries of one order stay in commit order, except around such a takeover.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from nceflow.checkout.adapters.redis_store import Keys
from nceflow.checkout.repository import OutboxEntry

_log = structlog.get_logger(__name__)

GROUP = "relay"


class Publisher(Protocol):
    """Where the relay sends entries; returns once the broker acknowledged every one."""

    async def publish(self, entries: Sequence[OutboxEntry]) -> None: ...


@dataclass(frozen=True)
class RelaySettings:
    """How the relay reads and retries."""

    batch_size: int = 200
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    claim_interval_seconds: float = 5.0
    retry_initial_seconds: float = 0.2
    retry_max_seconds: float = 5.0


# (entry id, entry) read from a stream; the entry is None when it was deleted meanwhile.
Batch = list[tuple[bytes, OutboxEntry | None]]
Lag = Callable[[OutboxEntry, float], None]


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def consumer_name() -> str:
    """A name unique to this relay instance (host, pid and a random part)."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class OutboxRelay:
    """Publishes every shard's outbox to Kafka."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        publisher: Publisher,
        settings: RelaySettings | None = None,
        *,
        name: str | None = None,
        on_published: Callable[[Sequence[OutboxEntry]], Awaitable[None]] | None = None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._publisher = publisher
        self._settings = settings or RelaySettings()
        self.name = name or consumer_name()
        self._on_published = on_published
        self._stopping = asyncio.Event()
        self.published = 0

    def stop(self) -> None:
        """Ask every shard loop to finish its current round and return.

        Preferred to cancelling: a read cancelled in the middle of a blocking `XREADGROUP` can
        leave the Redis client waiting on a connection it already closed.
        """
        self._stopping.set()

    async def ensure_groups(self) -> None:
        """Create each shard's stream and consumer group (from the start, so nothing is skipped)."""
        for shard in range(self._keys.shards):
            try:
                await self._redis.xgroup_create(
                    self._keys.outbox(shard), GROUP, id="0", mkstream=True
                )
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def run(self) -> None:
        """Relay until `stop()` (or cancellation): one task per shard."""
        await self._retrying(self.ensure_groups)
        async with asyncio.TaskGroup() as group:
            for shard in range(self._keys.shards):
                group.create_task(self._run_shard(shard), name=f"outbox-relay-{shard}")

    async def _retrying(self, action: Callable[[], Awaitable[None]]) -> None:
        delay = self._settings.retry_initial_seconds
        while not self._stopping.is_set():
            try:
                await action()
                return
            except (RedisError, OSError) as exc:
                if _being_cancelled():
                    raise asyncio.CancelledError from exc
                _log.warning("outbox relay cannot reach redis", error=str(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._settings.retry_max_seconds)

    async def _run_shard(self, shard: int) -> None:
        stream = self._keys.outbox(shard)
        delay = self._settings.retry_initial_seconds
        next_claim = 0.0
        # Whether this relay may hold unacknowledged entries (at start, after a claim or a failed
        # publish): those go first, so an order's events keep their order.
        own_pending = True
        block = min(self._settings.block_ms, int(self._settings.claim_interval_seconds * 1000))
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_claim:
                    own_pending |= await self.claim_stale(shard) > 0
                    next_claim = time.monotonic() + self._settings.claim_interval_seconds
                batch: Batch = []
                if own_pending:
                    batch = await self._read(stream, "0", block_ms=None)
                    own_pending = bool(batch)
                if not batch:
                    batch = await self._read(stream, ">", block_ms=block)
                if batch:
                    own_pending = True  # until acknowledged
                    await self._relay(stream, batch)
                    own_pending = False
                delay = self._settings.retry_initial_seconds
            except Exception as exc:  # broker or Redis trouble: back off, try again
                if _being_cancelled():
                    # A client library turned our cancellation into an error: honour it anyway.
                    raise asyncio.CancelledError from exc
                _log.warning(
                    "outbox relay retrying", shard=shard, error=f"{type(exc).__name__}: {exc}"
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(delay * 2, self._settings.retry_max_seconds)

    async def claim_stale(self, shard: int) -> int:
        """Take over entries another relay left pending too long; returns how many."""
        stream = self._keys.outbox(shard)
        start = "0-0"
        claimed = 0
        while True:
            reply: Any = await self._redis.xautoclaim(
                stream,
                GROUP,
                self.name,
                min_idle_time=self._settings.claim_idle_ms,
                start_id=start,
                count=self._settings.batch_size,
            )
            start_raw, ids = reply[0], reply[1]
            claimed += len(ids)
            start = start_raw.decode() if isinstance(start_raw, bytes) else str(start_raw)
            if start == "0-0":
                break
        if claimed:
            _log.info("outbox relay claimed entries of a dead relay", shard=shard, count=claimed)
        return claimed

    async def _read(self, stream: str, start: str, *, block_ms: int | None) -> Batch:
        reply: Any = await self._redis.xreadgroup(
            GROUP, self.name, {stream: start}, count=self._settings.batch_size, block=block_ms
        )
        if not reply:
            return []
        entries = reply[0][1]
        return [
            (entry_id, OutboxEntry.from_fields(fields) if fields else None)
            for entry_id, fields in entries
        ]

    async def _relay(self, stream: str, batch: Batch) -> None:
        entries = [entry for _, entry in batch if entry is not None]
        if entries:
            await self._publisher.publish(entries)
            if self._on_published is not None:
                await self._on_published(entries)
        await self._acknowledge(stream, [entry_id for entry_id, _ in batch])
        self.published += len(entries)

    async def _acknowledge(self, stream: str, entry_ids: list[bytes]) -> None:
        """Kafka has the entries: drop them from the outbox (same key, one transaction)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, *entry_ids)
            pipe.xdel(stream, *entry_ids)
            await pipe.execute()

    async def pending(self) -> int:
        """Entries read but not yet acknowledged, over all shards (for tests and metrics)."""
        total = 0
        for shard in range(self._keys.shards):
            with contextlib.suppress(ResponseError):
                info: Any = await self._redis.xpending(self._keys.outbox(shard), GROUP)
                total += int(info["pending"])
        return total

    async def backlog(self) -> int:
        """Entries in the outbox streams not yet relayed (pending or unread)."""
        total = 0
        for shard in range(self._keys.shards):
            total += int(await self._redis.xlen(self._keys.outbox(shard)))
        return total
