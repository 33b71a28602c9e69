"""Redis storage of sagas, their event outbox, the schedule of parked orders and the leases.

Keys (`<prefix>:fulfilment:<kind>:<id>`):
- `saga:<order_id>`: the saga as JSON; kept for `retention` once finished, so that a late
  redelivery of the same `OrderConfirmed` is still recognised;
- `outbox:<order_id>`: encoded Kafka records the saga emitted and that are not published yet;
- `event:<event_id>`: the `OrderConfirmed` event ids seen (dedupe by event id as well as order);
- `lease:<order_id>`: which worker runs the saga right now (a token with a TTL, renewed);
- `schedule`: a sorted set of order ids by the time (epoch ms) they are due.

Every change of a saga is one atomic write, a Lua script: the new state, the events it emitted
and its next due time are written together or not at all. Writes by a runner are fenced by its
lease (the script checks the token first): a runner whose lease expired (a long GC pause, a
partition) cannot overwrite the progress of the runner that took over.

Round trips are what a saga costs here (each is a few hundred microseconds of CPU on both
sides), so the store never spends one on its own bookkeeping: recording new orders (dedupe by
event id and by order id included) is one script per order, a Kafka batch's orders pipelined
together; a save also drops the events published since the previous save (`trim`); the leases
of a claimed batch are taken in one pipeline, which reads each saga and its outbox as well.

The schedule doubles as the crash net: claiming a due order pushes its due time out by the
visibility timeout before the work starts, so an order whose worker dies comes due again and any
process of the group picks it up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis

from nceflow.fulfilment.domain.saga import Saga, SagaStatus
from nceflow.fulfilment.repository import Claimed, Created, Lease, LeaseLostError
from nceflow.runtime.outbox import OutboxRecord
from nceflow.runtime.settings import RedisSettings
from nceflow.schemas.personal_data import without_personal_data

# Recording a confirmed order: dedupe by event id, then by order id, then create. Returns 0 (event
# seen), 1 (order exists: the new event id is remembered) or 2 (created).
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
  return 1
end
redis.call('SET', KEYS[2], ARGV[2])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 2
"""
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
# holder, all at once (a script runs atomically), after dropping the first ARGV[6] outbox events
# (published since the last save). Returns the outbox length, or -1 (lease lost).
_SAVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if tonumber(ARGV[6]) > 0 then redis.call('LTRIM', KEYS[3], ARGV[6], -1) end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[2])
end
for i = 7, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5]) end
return redis.call('LLEN', KEYS[3])
"""
# Fenced like _SAVE: drop the first ARGV[2] events of the outbox (published); when ARGV[3] is
# set, the saga is done: take the order off the schedule and give the lease back. Returns 0, or
# -1 (lease lost).
_TRIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if tonumber(ARGV[2]) > 0 then redis.call('LTRIM', KEYS[2], ARGV[2], -1) end
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('DEL', KEYS[1])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


_CREATED_BY_RESULT = (Created.DUPLICATE_EVENT, Created.DUPLICATE_ORDER, Created.CREATED)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class SagaStore:
    """The `SagaRepository` in Redis: sagas, outbox, schedule and leases."""

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
        self._create = redis.register_script(_CREATE)
        self._trim = redis.register_script(_TRIM)

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

    async def load_many(self, order_ids: Sequence[str]) -> list[Saga]:
        """The sagas of those orders that were ever started, in one round trip."""
        if not order_ids:
            return []
        raws = await self._redis.mget([self.key("saga", order_id) for order_id in order_ids])
        return [Saga.model_validate_json(raw) for raw in raws if raw is not None]

    async def create_many(
        self, new: Sequence[tuple[Saga, Sequence[OutboxRecord], datetime]]
    ) -> list[Created]:
        """Store each new saga, its first events and its due time, unless its `OrderConfirmed`
        event id or its order was recorded before. One atomic script per saga, all in one
        pipeline, run in order: a second saga of the same order in `new` is a duplicate."""
        if not new:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for saga, events, due in new:
                keys, args = self._create_call(saga, events, due)
                await self._create(keys=keys, args=args, client=pipe)
            results = await pipe.execute()
        return [_CREATED_BY_RESULT[int(result)] for result in results]

    def _create_call(
        self, saga: Saga, events: Sequence[OutboxRecord], due: datetime
    ) -> tuple[list[str], list[str | int]]:
        keys = [
            self.key("event", saga.event_id),
            self.key("saga", saga.order_id),
            self.key("outbox", saga.order_id),
            self.key("schedule"),
        ]
        args: list[str | int] = [
            saga.order_id,
            saga.model_dump_json(),
            self._retention_seconds(),
            _ms(due),
            *(record.dumps() for record in events),
        ]
        return keys, args

    async def save(
        self,
        saga: Saga,
        events: Sequence[OutboxRecord],
        lease: Lease,
        *,
        due: datetime | None,
        trim: int = 0,
    ) -> int:
        """Write the saga, append its events and set (or keep) its due time, if `lease` still
        holds; returns how many events the outbox holds now. `due=None` leaves the schedule as
        it is (the claim's visibility timeout). `trim` first drops that many events from the
        head of the outbox (published since the previous save)."""
        ttl = self._retention_seconds() if saga.is_finished else 0
        stored = saga
        if saga.order_ids or saga.status is SagaStatus.COMPLETED:
            # Contacts (names, e-mail addresses, phones) serve creating the customer and the
            # MCA attestation, both before the checkout. Once Partner Center has the order they
            # are not kept: the saga stays `retention` long to answer duplicates without them.
            stored = saga.model_copy(update={"order": without_personal_data(saga.order)})
        written = await self._save(
            keys=[
                self.key("lease", lease.order_id),
                self.key("saga", saga.order_id),
                self.key("outbox", saga.order_id),
                self.key("schedule"),
            ],
            args=[
                lease.token,
                stored.model_dump_json(),
                ttl,
                "" if due is None else _ms(due),
                saga.order_id,
                trim,
                *(record.dumps() for record in events),
            ],
        )
        if int(cast(int, written)) < 0:
            raise LeaseLostError(f"lease on {lease.order_id} lost")
        return int(cast(int, written))

    def _retention_seconds(self) -> int:
        return int(self._retention.total_seconds())

    # ------------------------------------------------------------------ outbox

    async def pending_events(self, order_id: str) -> list[OutboxRecord]:
        """Events of the order not yet published, oldest first."""
        raw = await self._redis.lrange(self.key("outbox", order_id), 0, -1)
        return [OutboxRecord.loads(item) for item in raw]

    # ------------------------------------------------------------------ schedule

    async def schedule(self, order_id: str, due: datetime) -> None:
        """Make the order due at `due` (an operator's re-drive, a wake-up)."""
        await self._redis.zadd(self.key("schedule"), {order_id: _ms(due)})

    async def unschedule(self, order_id: str) -> None:
        """Nothing more to do for this order (there is no saga to run)."""
        await self._redis.zrem(self.key("schedule"), order_id)

    async def trim_published(self, lease: Lease, count: int, *, finished: bool = False) -> None:
        """Drop the `count` oldest outbox events (they are on Kafka), if `lease` still holds;
        `finished` also takes the order off the schedule and releases the lease, in the same
        round trip."""
        done = await self._trim(
            keys=[
                self.key("lease", lease.order_id),
                self.key("outbox", lease.order_id),
                self.key("schedule"),
            ],
            args=[lease.token, count, lease.order_id if finished else ""],
        )
        if int(cast(int, done)) < 0:
            raise LeaseLostError(f"lease on {lease.order_id} lost")

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

    async def acquire_and_load(self, order_ids: Sequence[str]) -> list[Claimed | None]:
        """Take each saga's lease and read the saga with its unpublished events, all in one
        round trip (None where another worker holds the lease). Each read follows its lease in
        the pipeline: once the lease is ours no other runner can write the saga (writes are
        fenced), so what is read is current."""
        leases = [Lease(order_id, uuid.uuid4().hex) for order_id in order_ids]
        if not leases:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for lease in leases:
                pipe.set(self.key("lease", lease.order_id), lease.token, nx=True, px=self._lease_ms)
                pipe.get(self.key("saga", lease.order_id))
                pipe.lrange(self.key("outbox", lease.order_id), 0, -1)
            replies = await pipe.execute()
        claimed: list[Claimed | None] = []
        for index, lease in enumerate(leases):
            taken, raw, pending = replies[3 * index : 3 * index + 3]
            if not taken:
                claimed.append(None)
                continue
            claimed.append(Claimed(lease, raw, pending))
        return claimed

    async def renew_many(self, leases: Sequence[Lease]) -> list[bool]:
        """Extend each lease (False where it was lost), in one round trip."""
        if not leases:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for lease in leases:
                await self._renew(
                    keys=[self.key("lease", lease.order_id)],
                    args=[lease.token, self._lease_ms],
                    client=pipe,
                )
            renewed = await pipe.execute()
        return [bool(r) for r in renewed]

    async def release(self, lease: Lease) -> None:
        """Give the lease back (only if still ours)."""
        await self._release(keys=[self.key("lease", lease.order_id)], args=[lease.token])
