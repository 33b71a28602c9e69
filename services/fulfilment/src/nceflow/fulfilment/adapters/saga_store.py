"""Redis storage of sagas, their event outbox, the schedule of parked orders and the leases.

Keys (`<prefix>:fulfilment:<kind>:<id>`):
- `saga:<order_id>`: the saga as JSON; kept for `retention` once finished, so that a late
  redelivery of the same `OrderConfirmed` is still recognised;
- `outbox:<order_id>`: encoded Kafka records the saga emitted and that are not published yet;
- `event:<event_id>`: the `OrderConfirmed` event ids seen (dedupe by event id as well as order);
- `lease:<order_id>`: which worker runs the saga right now (a token with a TTL, renewed);
- `schedule`: a sorted set of order ids by the time (epoch ms) they are due.

Every change of a saga is one atomic write (a `MULTI`/`EXEC` when it is created, a Lua script
afterwards): the new state, the events it emitted and its next due time are written together or
not at all. Writes by a runner are fenced by its lease (the script checks the token first): a
runner whose lease expired (a long GC pause, a partition) cannot overwrite the progress of the
runner that took over.

The schedule doubles as the crash net: claiming a due order pushes its due time out by the
visibility timeout before the work starts, so an order whose worker dies comes due again and any
process of the group picks it up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nceflow.fulfilment.domain.saga import Saga
from nceflow.runtime.settings import RedisSettings

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], member) end
return due
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Fenced by the lease: the state, the events and the due time are written only by the lease
# holder, all at once (a script runs atomically). Returns the outbox length, or -1 (lease lost).
_SAVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[2])
end
for i = 6, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5]) end
return redis.call('LLEN', KEYS[3])
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaseLostError(RuntimeError):
    """Another worker holds the saga now: stop without writing."""


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """An encoded event waiting to be published (value and headers byte for byte)."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    def dumps(self) -> str:
        # Headers may be arbitrary bytes: latin-1 maps every byte to one code point and back.
        return json.dumps(
            {
                "key": self.key.decode("latin-1"),
                "value": self.value.decode("latin-1"),
                "headers": [[k, v.decode("latin-1")] for k, v in self.headers],
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> OutboxRecord:
        data = json.loads(raw)
        return cls(
            key=data["key"].encode("latin-1"),
            value=data["value"].encode("latin-1"),
            headers=[(k, v.encode("latin-1")) for k, v in data["headers"]],
        )


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to run one saga until `ttl` passes without renewal."""

    order_id: str
    token: str


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class SagaStore:
    """Sagas, outbox, schedule and leases in Redis."""

    def __init__(
        self,
        redis: Redis,
        settings: RedisSettings,
        *,
        lease_ttl: timedelta,
        retention: timedelta,
    ) -> None:
        self._redis = redis
        self._prefix = f"{settings.key_prefix}:fulfilment"
        self._lease_ms = int(lease_ttl.total_seconds() * 1000)
        self._retention = retention
        self._claim = redis.register_script(_CLAIM)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._save = redis.register_script(_SAVE)

    @property
    def redis(self) -> Redis:
        return self._redis

    def key(self, kind: str, ident: str = "") -> str:
        """`<prefix>:fulfilment:<kind>:<id>` (or `<prefix>:fulfilment:<kind>`)."""
        return f"{self._prefix}:{kind}:{ident}" if ident else f"{self._prefix}:{kind}"

    # ------------------------------------------------------------------ sagas

    async def load(self, order_id: str) -> Saga | None:
        """The saga of an order, if it was ever started."""
        raw = await self._redis.get(self.key("saga", order_id))
        return None if raw is None else Saga.model_validate_json(raw)

    async def event_seen(self, event_id: str) -> bool:
        """Whether an `OrderConfirmed` with this event id was recorded already."""
        return bool(await self._redis.exists(self.key("event", event_id)))

    async def create(self, saga: Saga, events: Sequence[OutboxRecord], due: datetime) -> bool:
        """Store a new saga, its first events and its due time; False if the order exists."""
        saga_key = self.key("saga", saga.order_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(saga_key)
                    if await pipe.exists(saga_key):
                        await pipe.reset()  # type: ignore[no-untyped-call]
                        return False
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(saga_key, saga.model_dump_json())
                    self._queue_events(pipe, saga.order_id, events)
                    pipe.zadd(self.key("schedule"), {saga.order_id: _ms(due)})
                    pipe.set(
                        self.key("event", saga.event_id),
                        saga.order_id,
                        ex=int(self._retention.total_seconds()),
                    )
                    await pipe.execute()
                    return True
                except WatchError:
                    continue

    async def remember_event(self, event_id: str, order_id: str) -> None:
        """Record a duplicate delivery's event id (an order confirmed under a new event id)."""
        await self._redis.set(
            self.key("event", event_id), order_id, ex=int(self._retention.total_seconds())
        )

    async def save(
        self,
        saga: Saga,
        events: Sequence[OutboxRecord],
        lease: Lease,
        *,
        due: datetime | None,
    ) -> int:
        """Write the saga, append its events and set (or keep) its due time, if `lease` still
        holds; returns how many events the outbox holds now. `due=None` leaves the schedule as
        it is (the claim's visibility timeout)."""
        ttl = self._retention_seconds() if saga.is_finished else 0
        written = await self._save(
            keys=[
                self.key("lease", lease.order_id),
                self.key("saga", saga.order_id),
                self.key("outbox", saga.order_id),
                self.key("schedule"),
            ],
            args=[
                lease.token,
                saga.model_dump_json(),
                ttl,
                "" if due is None else _ms(due),
                saga.order_id,
                *(record.dumps() for record in events),
            ],
        )
        if int(cast(int, written)) < 0:
            raise LeaseLostError(f"lease on {lease.order_id} lost")
        return int(cast(int, written))

    def _retention_seconds(self) -> int:
        return int(self._retention.total_seconds())

    def _queue_events(self, pipe: Any, order_id: str, events: Sequence[OutboxRecord]) -> None:
        if events:
            pipe.rpush(self.key("outbox", order_id), *(record.dumps() for record in events))

    # ------------------------------------------------------------------ outbox

    async def pending_events(self, order_id: str) -> list[OutboxRecord]:
        """Events of the order not yet published, oldest first."""
        raw = await self._redis.lrange(self.key("outbox", order_id), 0, -1)
        return [OutboxRecord.loads(item) for item in raw]

    async def events_published(self, order_id: str, count: int) -> None:
        """Drop the first `count` events of the outbox (they are on Kafka)."""
        await self._redis.ltrim(self.key("outbox", order_id), count, -1)

    # ------------------------------------------------------------------ schedule

    async def schedule(self, order_id: str, due: datetime) -> None:
        """Make the order due at `due` (an operator's re-drive, a wake-up)."""
        await self._redis.zadd(self.key("schedule"), {order_id: _ms(due)})

    async def unschedule(self, order_id: str) -> None:
        """The saga is finished and its events are published: nothing more to do."""
        await self._redis.zrem(self.key("schedule"), order_id)

    async def claim_due(self, now: datetime, limit: int, visibility: timedelta) -> list[str]:
        """Up to `limit` due orders, their due time pushed out by `visibility` (so that one
        whose worker dies comes back)."""
        if limit <= 0:
            return []
        members = await self._claim(
            keys=[self.key("schedule")],
            args=[_ms(now), limit, _ms(now + visibility)],
        )
        return [m.decode() if isinstance(m, bytes) else str(m) for m in cast(list[Any], members)]

    async def due_count(self, now: datetime) -> int:
        """How many orders are due now (a gauge)."""
        return int(await self._redis.zcount(self.key("schedule"), "-inf", _ms(now)))

    async def scheduled_count(self) -> int:
        """How many orders are scheduled at all (parked or running)."""
        return int(await self._redis.zcard(self.key("schedule")))

    # ------------------------------------------------------------------ leases

    async def acquire(self, order_id: str) -> Lease | None:
        """Take the saga's lease, or None when another worker holds it."""
        token = uuid.uuid4().hex
        taken = await self._redis.set(
            self.key("lease", order_id), token, nx=True, px=self._lease_ms
        )
        return Lease(order_id, token) if taken else None

    async def renew(self, lease: Lease) -> bool:
        """Extend the lease; False when it was lost."""
        renewed = await self._renew(
            keys=[self.key("lease", lease.order_id)], args=[lease.token, self._lease_ms]
        )
        return bool(renewed)

    async def release(self, lease: Lease) -> None:
        """Give the lease back (only if still ours)."""
        await self._release(keys=[self.key("lease", lease.order_id)], args=[lease.token])
