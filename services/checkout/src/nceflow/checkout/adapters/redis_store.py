"""Drafts, orders and the outbox in Redis, laid out for Redis Cluster.

Every key of one marketplace account carries the same hash tag: the account's shard
(`{s<n>}`, n = crc32(account) mod the shard count). A draft, its outbox stream, the expiry
index, the account's orders and the schedule of orders awaiting fulfilment's news therefore live
in one slot, so each change is one `MULTI`/`EXEC`
(guarded by `WATCH` on the draft) that writes the new state and the event together: the
transactional outbox. The relay reads every shard's stream.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Final

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from nceflow.checkout.domain.draft import CustomerRecord, Draft
from nceflow.checkout.domain.errors import TooManyDrafts
from nceflow.checkout.domain.order import Order, OrderStatus
from nceflow.checkout.domain.sign_in import PendingSignIn
from nceflow.checkout.errors import ConcurrentUpdate
from nceflow.checkout.repository import (
    DraftChange,
    Mutation,
    OrderChange,
    OrderWrite,
    OutboxEntry,
    Redelivery,
)

SHARDS: Final = 16
"""Outbox shards. Part of the key layout: changing it strands drafts in their old shard."""
_MAX_ATTEMPTS = 8


class Keys:
    """Key names: `<prefix>:checkout:<kind>:{s<shard>}:<id>`."""

    def __init__(self, prefix: str, shards: int = SHARDS) -> None:
        self.base = f"{prefix}:checkout"
        self.shards = shards

    def shard_of(self, account_id: str) -> int:
        """The shard of every key of `account_id`."""
        return zlib.crc32(account_id.encode()) % self.shards

    @staticmethod
    def tag(shard: int) -> str:
        """The hash tag that puts a shard's keys in one Redis Cluster slot."""
        return f"{{s{shard}}}"

    def draft(self, shard: int, draft_id: str) -> str:
        return f"{self.base}:draft:{self.tag(shard)}:{draft_id}"

    def outbox(self, shard: int) -> str:
        return f"{self.base}:outbox:{self.tag(shard)}"

    def expiry(self, shard: int) -> str:
        return f"{self.base}:expiry:{self.tag(shard)}"

    def order(self, shard: int, order_id: str) -> str:
        return f"{self.base}:order:{self.tag(shard)}:{order_id}"

    def account_drafts(self, shard: int, account_id: str) -> str:
        """The account's open drafts, scored by when each expires."""
        return f"{self.base}:account-drafts:{self.tag(shard)}:{account_id}"

    def account_orders(self, shard: int, account_id: str) -> str:
        return f"{self.base}:account-orders:{self.tag(shard)}:{account_id}"

    def awaiting(self, shard: int) -> str:
        """Orders not final yet, scored by when fulfilment's news was due (Buy or the last
        progress, plus the first wait): past that, the order is overdue."""
        return f"{self.base}:awaiting:{self.tag(shard)}"

    def reemits(self, shard: int) -> str:
        """The same orders, scored by when checkout re-emits their `OrderConfirmed` next."""
        return f"{self.base}:reemit:{self.tag(shard)}"

    def confirmed_event(self, shard: int, order_id: str) -> str:
        """The `OrderConfirmed` data of an order, kept to re-emit it until the order is placed."""
        return f"{self.base}:confirmed:{self.tag(shard)}:{order_id}"

    def customer_record(self, shard: int, reseller_id: str, account_id: str) -> str:
        return f"{self.base}:customer:{self.tag(shard)}:{reseller_id}:{account_id}"

    def sign_in(self, shard: int, state: str) -> str:
        """A Microsoft sign-in in progress, by its `state` (expires by itself)."""
        return f"{self.base}:sign-in:{self.tag(shard)}:{state}"

    def lookups(self, shard: int, reseller_id: str, account_id: str) -> str:
        """How many Partner Center lookups the account made in the current window."""
        return f"{self.base}:lookups:{self.tag(shard)}:{reseller_id}:{account_id}"

    def tenant_owner(self, reseller_id: str, tenant_id: str) -> str:
        """The account a customer tenant is bound to, for one reseller (a key of its own slot:
        only ever read or set alone)."""
        return f"{self.base}:tenant-owner:{reseller_id}:{tenant_id}"


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _ms_of(span: timedelta) -> int:
    return max(1, int(span.total_seconds() * 1000))


class DraftStore:
    """The `DraftRepository` in Redis: drafts, orders and customer records, every write with its
    events; the shard of each key is the store's business alone."""

    def __init__(self, redis: Redis, keys: Keys, *, retention: timedelta) -> None:
        self._redis = redis
        self.keys = keys
        self._retention = retention

    # ------------------------------------------------------------------------------ drafts

    async def insert(
        self,
        draft: Draft,
        events: Sequence[OutboxEntry],
        now: datetime,
        *,
        max_open: int | None = None,
    ) -> None:
        """Store a new draft and its events in one transaction; with `max_open`, raise
        `TooManyDrafts` instead when the account already has that many open drafts (counted
        and stored atomically, so concurrent starts cannot overshoot)."""
        shard = self.keys.shard_of(draft.account_id)
        open_drafts = self.keys.account_drafts(shard, draft.account_id)
        for _ in range(_MAX_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(open_drafts)
                    # Drafts past their expiry no longer count, closed by the expiry loop or not.
                    live = await pipe.zcount(open_drafts, _ms(now), "+inf")
                    if max_open is not None and live >= max_open:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        raise TooManyDrafts(max_open)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.zremrangebyscore(open_drafts, "-inf", _ms(now))
                    self._queue_draft(pipe, shard, draft)
                    self._queue_events(pipe, shard, events, now)
                    await pipe.execute()
                    return
                except WatchError:
                    continue
        raise ConcurrentUpdate(f"account {draft.account_id} started drafts too fast")

    async def get(self, account_id: str, draft_id: str) -> Draft | None:
        """The account's draft with that id; None if missing or another account's."""
        shard = self.keys.shard_of(account_id)
        raw = await self._redis.get(self.keys.draft(shard, draft_id))
        if raw is None:
            return None
        draft = Draft.model_validate_json(raw)
        return draft if draft.account_id == account_id else None

    async def _get_any(self, shard: int, draft_id: str) -> Draft | None:
        """A draft by shard and id, whoever owns it (for background work such as expiry)."""
        raw = await self._redis.get(self.keys.draft(shard, draft_id))
        return Draft.model_validate_json(raw) if raw is not None else None

    async def update(
        self, account_id: str, draft_id: str, change: DraftChange, now: datetime
    ) -> Mutation:
        """Apply `change` to the account's stored draft and write its result atomically.

        `change` gets the current draft (None if missing) and may raise to abort; it is called
        again on a fresh read when another writer got in first (optimistic concurrency).
        """
        return await self._update(self.keys.shard_of(account_id), draft_id, change, now)

    async def _update(
        self, shard: int, draft_id: str, change: DraftChange, now: datetime
    ) -> Mutation:
        key = self.keys.draft(shard, draft_id)
        for _ in range(_MAX_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    current = Draft.model_validate_json(raw) if raw is not None else None
                    mutation = change(current)
                    if mutation.draft is None:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return mutation
                    pipe.multi()  # type: ignore[no-untyped-call]
                    self._queue_draft(pipe, shard, mutation.draft)
                    self._queue_events(pipe, shard, mutation.events, now)
                    if mutation.order is not None:
                        self._queue_order(pipe, shard, mutation.order, now)
                    await pipe.execute()
                    return mutation
                except WatchError:
                    continue
        raise ConcurrentUpdate(f"draft {draft_id} changed {_MAX_ATTEMPTS} times while saving")

    def _queue_draft(self, pipe: Pipeline, shard: int, draft: Draft) -> None:
        until = draft.closed_at if draft.closed_at is not None else draft.expires_at
        pipe.set(
            self.keys.draft(shard, draft.id),
            draft.model_dump_json(),
            pxat=_ms(until + self._retention),
        )
        open_drafts = self.keys.account_drafts(shard, draft.account_id)
        if draft.closed_at is None:
            pipe.zadd(self.keys.expiry(shard), {draft.id: _ms(draft.expires_at)})
            pipe.zadd(open_drafts, {draft.id: _ms(draft.expires_at)})
            # The index goes when its drafts would: every write moves a draft's expiry later
            # (idle timeout from now), so the latest write sets the latest time.
            pipe.pexpireat(open_drafts, _ms(draft.expires_at + self._retention))
        else:
            pipe.zrem(self.keys.expiry(shard), draft.id)
            pipe.zrem(open_drafts, draft.id)

    def _queue_events(
        self, pipe: Pipeline, shard: int, events: Sequence[OutboxEntry], now: datetime
    ) -> None:
        for event in events:
            pipe.xadd(self.keys.outbox(shard), event.fields(_ms(now)))  # type: ignore[arg-type]

    def _queue_order(self, pipe: Pipeline, shard: int, write: OrderWrite, now: datetime) -> None:
        order = write.order
        pipe.set(self.keys.order(shard, order.order_id), order.model_dump_json())
        pipe.zadd(
            self.keys.account_orders(shard, order.account_id),
            {order.order_id: _ms(order.confirmed_at)},
        )
        self._queue_order_followers(pipe, shard, write, now)

    def _queue_order_followers(
        self, pipe: Pipeline, shard: int, write: OrderWrite, now: datetime
    ) -> None:
        """The schedule entry, the kept `OrderConfirmed` and the events of an order's write."""
        order_id = write.order.order_id
        if write.confirmed_event is not None:
            pipe.set(self.keys.confirmed_event(shard, order_id), write.confirmed_event)
        if write.order.is_final:
            pipe.zrem(self.keys.awaiting(shard), order_id)
            pipe.zrem(self.keys.reemits(shard), order_id)
            if write.order.status is OrderStatus.PLACED:
                pipe.delete(self.keys.confirmed_event(shard, order_id))
        else:
            if write.news_due is not None:
                pipe.zadd(self.keys.awaiting(shard), {order_id: _ms(write.news_due)})
            reemit_at = write.reemit_at or write.news_due
            if reemit_at is not None:
                pipe.zadd(self.keys.reemits(shard), {order_id: _ms(reemit_at)})
        self._queue_events(pipe, shard, write.events, now)

    async def expire_due(
        self, now: datetime, limit: int, close: Callable[[Draft], Mutation]
    ) -> list[Draft]:
        """Apply `close` to up to `limit` drafts per shard whose idle time ran out, each in its
        own guarded transaction (safe in every replica at once); the drafts written. An entry
        whose draft is gone (its TTL ran out) or closed already is dropped."""
        written: list[Draft] = []

        def change(current: Draft | None) -> Mutation:
            return Mutation(None) if current is None else close(current)

        for shard in range(self.keys.shards):
            for draft_id in await self._due_for_expiry(shard, now, limit):
                mutation = await self._update(shard, draft_id, change, now)
                if mutation.draft is not None:
                    written.append(mutation.draft)
                    continue
                current = await self._get_any(shard, draft_id)
                if current is None or current.closed_at is not None:
                    await self._redis.zrem(self.keys.expiry(shard), draft_id)
        return written

    async def _due_for_expiry(self, shard: int, now: datetime, limit: int) -> list[str]:
        """Ids of drafts in `shard` whose idle time ran out."""
        ids = await self._redis.zrangebyscore(
            self.keys.expiry(shard), "-inf", _ms(now), start=0, num=limit
        )
        return [_text(raw) for raw in ids]

    # ------------------------------------------------------------------------------ orders

    async def get_order(self, account_id: str, order_id: str) -> Order | None:
        """The account's order with that id; None if missing or another account's."""
        shard = self.keys.shard_of(account_id)
        raw = await self._redis.get(self.keys.order(shard, order_id))
        if raw is None:
            return None
        order = Order.model_validate_json(raw)
        return order if order.account_id == account_id else None

    async def list_orders(
        self, account_id: str, *, limit: int, before_ms: int | None
    ) -> list[Order]:
        """The account's orders, newest first, confirmed before `before_ms` when given."""
        shard = self.keys.shard_of(account_id)
        top = f"({before_ms}" if before_ms is not None else "+inf"
        ids = await self._redis.zrevrangebyscore(
            self.keys.account_orders(shard, account_id), top, "-inf", start=0, num=limit
        )
        if not ids:
            return []
        raws = await self._redis.mget([self.keys.order(shard, _text(raw)) for raw in ids])
        return [Order.model_validate_json(raw) for raw in raws if raw is not None]

    async def _order_shard(self, order_id: str) -> int | None:
        """The shard holding `order_id` (fulfilment's events name the order, not the account)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for shard in range(self.keys.shards):
                pipe.exists(self.keys.order(shard, order_id))
            found = await pipe.execute()
        return next((shard for shard, hit in enumerate(found) if hit), None)

    async def update_order(
        self, order_id: str, change: OrderChange, *, account_id: str | None = None
    ) -> Order | None:
        """Apply `change` to a stored order atomically; None from `change` means no write. With
        `account_id` the order's shard is known; without, it is looked up."""
        shard = (
            self.keys.shard_of(account_id)
            if account_id is not None
            else await self._order_shard(order_id)
        )
        if shard is None:
            return None
        key = self.keys.order(shard, order_id)
        for _ in range(_MAX_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    write = change(Order.model_validate_json(raw))
                    if write is None:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return None
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, write.order.model_dump_json())
                    self._queue_order_followers(pipe, shard, write, write.order.updated_at)
                    await pipe.execute()
                    return write.order
                except WatchError:
                    continue
        raise ConcurrentUpdate(f"order {order_id} changed {_MAX_ATTEMPTS} times while saving")

    # ------------------------------------------------------- orders awaiting fulfilment

    async def kept_confirmation(self, order_id: str) -> bytes | None:
        """The `OrderConfirmed` data kept for an order not placed yet."""
        shard = await self._order_shard(order_id)
        if shard is None:
            return None
        raw = await self._redis.get(self.keys.confirmed_event(shard, order_id))
        return raw.encode() if isinstance(raw, str) else raw

    async def redeliver_due(self, now: datetime, limit: int, change: Redelivery) -> list[Order]:
        """Re-emit the `OrderConfirmed` of up to `limit` orders per shard that fulfilment has
        been quiet about past their time (`_redeliver`); the orders re-emitted."""
        emitted: list[Order] = []
        for shard in range(self.keys.shards):
            for order_id in await self._due_redeliveries(shard, now, limit):
                again = await self._redeliver(shard, order_id, now, change)
                if again is not None:
                    emitted.append(again)
        return emitted

    async def _due_redeliveries(self, shard: int, now: datetime, limit: int) -> list[str]:
        """Ids of orders in `shard` that fulfilment has been quiet about past their time."""
        ids = await self._redis.zrangebyscore(
            self.keys.reemits(shard), "-inf", _ms(now), start=0, num=limit
        )
        return [_text(raw) for raw in ids]

    async def _redeliver(
        self, shard: int, order_id: str, now: datetime, change: Redelivery
    ) -> Order | None:
        """Re-emit one due order's `OrderConfirmed`: `change` gets the order and the kept event
        data and returns the write (the re-emitted event, the next due time).

        Once per due time across any number of replicas: every writer of an order's schedule
        entry also writes the order, so `WATCH` on the order alone makes a replica that lost
        the race skip (None) rather than emit a second time. An entry whose order is final,
        missing or has nothing kept to re-emit is dropped.
        """
        key = self.keys.order(shard, order_id)
        reemits = self.keys.reemits(shard)
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                raw = await pipe.get(key)
                due = await pipe.zscore(reemits, order_id)
                kept = await pipe.get(self.keys.confirmed_event(shard, order_id))
                order = Order.model_validate_json(raw) if raw is not None else None
                if due is None or due > _ms(now):
                    await pipe.unwatch()  # type: ignore[no-untyped-call]
                    return None  # another replica re-emitted it, or fulfilment was heard from
                if order is None or order.is_final or kept is None:
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.zrem(reemits, order_id)
                    pipe.zrem(self.keys.awaiting(shard), order_id)
                    await pipe.execute()
                    return None
                write = change(order, kept if isinstance(kept, bytes) else kept.encode())
                pipe.multi()  # type: ignore[no-untyped-call]
                pipe.set(key, write.order.model_dump_json())
                self._queue_order_followers(pipe, shard, write, now)
                await pipe.execute()
                return write.order
            except WatchError:
                return None

    async def awaiting_counts(self, now: datetime) -> tuple[int, int]:
        """How many orders await fulfilment's news, and how many of them are past its due time
        (re-emitted or about to be)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for shard in range(self.keys.shards):
                pipe.zcard(self.keys.awaiting(shard))
                pipe.zcount(self.keys.awaiting(shard), "-inf", _ms(now))
            counts = await pipe.execute()
        return sum(counts[0::2]), sum(counts[1::2])

    async def count_lookup(
        self, account_id: str, reseller_id: str, window: timedelta
    ) -> tuple[int, float]:
        """Count one Partner Center lookup of the account in a fixed window: how many it made
        in the window so far (this one included), and the seconds until the window ends."""
        key = self.keys.lookups(self.keys.shard_of(account_id), reseller_id, account_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, px=int(window.total_seconds() * 1000), nx=True)
            pipe.incr(key)
            pipe.pttl(key)
            _, count, ttl_ms = await pipe.execute()
        return int(count), max(int(ttl_ms), 0) / 1000

    # -------------------------------------------------------------------- customer records

    async def customer_record(self, account_id: str, reseller_id: str) -> CustomerRecord | None:
        """What is on record about the account's tenant for this reseller."""
        shard = self.keys.shard_of(account_id)
        raw = await self._redis.get(self.keys.customer_record(shard, reseller_id, account_id))
        return CustomerRecord.model_validate_json(raw) if raw is not None else None

    async def tenant_owner(self, reseller_id: str, tenant_id: str) -> str | None:
        """The marketplace account the tenant is bound to for this reseller, if any."""
        raw = await self._redis.get(self.keys.tenant_owner(reseller_id, tenant_id))
        return None if raw is None else _text(raw)

    async def bind_tenant(self, reseller_id: str, tenant_id: str, account_id: str) -> str:
        """Bind the tenant to the account unless it is bound already; returns its owner (the
        first account Partner Center placed an order for in it)."""
        key = self.keys.tenant_owner(reseller_id, tenant_id)
        if await self._redis.set(key, account_id, nx=True):
            return account_id
        owner = await self._redis.get(key)
        return account_id if owner is None else _text(owner)

    async def put_sign_in(self, pending: PendingSignIn, lifetime: timedelta) -> None:
        """Remember a sign-in until Microsoft sends the customer back (at most `lifetime`)."""
        shard = self.keys.shard_of(pending.account_id)
        key = self.keys.sign_in(shard, pending.state)
        await self._redis.set(key, pending.model_dump_json(), px=_ms_of(lifetime))

    async def take_sign_in(self, account_id: str, state: str) -> PendingSignIn | None:
        """The account's sign-in with this `state`, removed: a code is redeemed once."""
        key = self.keys.sign_in(self.keys.shard_of(account_id), state)
        raw = await self._redis.getdel(key)
        return None if raw is None else PendingSignIn.model_validate_json(raw)

    async def put_customer_record(
        self, account_id: str, reseller_id: str, record: CustomerRecord
    ) -> None:
        """Record the account's tenant (e.g. after an order was placed in it)."""
        shard = self.keys.shard_of(account_id)
        key = self.keys.customer_record(shard, reseller_id, account_id)
        await self._redis.set(key, record.model_dump_json())
