"""An in-memory `DraftRepository` for the service-layer unit tests: the same contract as the
Redis store (`adapters.redis_store.DraftStore`, proven against a real Redis by the integration
tests), with every write's events kept in `outbox` in commit order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from nceflow.checkout.domain.draft import CustomerRecord, Draft
from nceflow.checkout.domain.errors import TooManyDrafts
from nceflow.checkout.domain.order import Order, OrderStatus
from nceflow.checkout.domain.sign_in import PendingSignIn
from nceflow.checkout.repository import (
    DraftChange,
    Mutation,
    OrderChange,
    OrderWrite,
    OutboxEntry,
    Redelivery,
)


class InMemoryDrafts:
    """Drafts, orders and account records in dicts; one process, so no write races."""

    def __init__(self) -> None:
        self.drafts: dict[str, Draft] = {}
        self.orders: dict[str, Order] = {}
        self.outbox: list[OutboxEntry] = []
        self.awaiting: dict[str, datetime] = {}
        self.reemits: dict[str, datetime] = {}
        self.confirmed: dict[str, bytes] = {}
        self.records: dict[tuple[str, str], CustomerRecord] = {}
        self.owners: dict[tuple[str, str], str] = {}
        self.sign_ins: dict[tuple[str, str], PendingSignIn] = {}
        self.lookups: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------------------ drafts

    async def insert(
        self,
        draft: Draft,
        events: Sequence[OutboxEntry],
        now: datetime,
        *,
        max_open: int | None = None,
    ) -> None:
        live = [
            d
            for d in self.drafts.values()
            if d.account_id == draft.account_id and d.closed_at is None and d.expires_at > now
        ]
        if max_open is not None and len(live) >= max_open:
            raise TooManyDrafts(max_open)
        self.drafts[draft.id] = draft
        self.outbox.extend(events)

    async def get(self, account_id: str, draft_id: str) -> Draft | None:
        draft = self.drafts.get(draft_id)
        return draft if draft is not None and draft.account_id == account_id else None

    async def update(
        self, account_id: str, draft_id: str, change: DraftChange, now: datetime
    ) -> Mutation:
        return self._write(change(await self.get(account_id, draft_id)))

    def _write(self, mutation: Mutation) -> Mutation:
        if mutation.draft is None:
            return mutation
        self.drafts[mutation.draft.id] = mutation.draft
        self.outbox.extend(mutation.events)
        if mutation.order is not None:
            self._write_order(mutation.order)
        return mutation

    async def expire_due(
        self, now: datetime, limit: int, close: Callable[[Draft], Mutation]
    ) -> list[Draft]:
        due = [d for d in self.drafts.values() if d.closed_at is None and d.expires_at <= now]
        written = [self._write(close(draft)).draft for draft in due[:limit]]
        return [draft for draft in written if draft is not None]

    # ------------------------------------------------------------------------------ orders

    def _write_order(self, write: OrderWrite) -> None:
        order = write.order
        self.orders[order.order_id] = order
        if write.confirmed_event is not None:
            self.confirmed[order.order_id] = write.confirmed_event
        if order.is_final:
            self.awaiting.pop(order.order_id, None)
            self.reemits.pop(order.order_id, None)
            if order.status is OrderStatus.PLACED:
                self.confirmed.pop(order.order_id, None)
        else:
            if write.news_due is not None:
                self.awaiting[order.order_id] = write.news_due
            reemit_at = write.reemit_at or write.news_due
            if reemit_at is not None:
                self.reemits[order.order_id] = reemit_at
        self.outbox.extend(write.events)

    async def get_order(self, account_id: str, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return order if order is not None and order.account_id == account_id else None

    async def list_orders(
        self, account_id: str, *, limit: int, before_ms: int | None
    ) -> list[Order]:
        mine = [
            order
            for order in self.orders.values()
            if order.account_id == account_id
            and (before_ms is None or order.confirmed_at.timestamp() * 1000 < before_ms)
        ]
        return sorted(mine, key=lambda order: order.confirmed_at, reverse=True)[:limit]

    async def update_order(
        self, order_id: str, change: OrderChange, *, account_id: str | None = None
    ) -> Order | None:
        order = self.orders.get(order_id)
        if order is None or (account_id is not None and order.account_id != account_id):
            return None
        write = change(order)
        if write is None:
            return None
        self._write_order(write)
        return write.order

    async def kept_confirmation(self, order_id: str) -> bytes | None:
        return self.confirmed.get(order_id)

    async def redeliver_due(self, now: datetime, limit: int, change: Redelivery) -> list[Order]:
        emitted: list[Order] = []
        for order_id in [o for o, due in self.reemits.items() if due <= now][:limit]:
            order, kept = self.orders.get(order_id), self.confirmed.get(order_id)
            if order is None or order.is_final or kept is None:
                self.reemits.pop(order_id)
                self.awaiting.pop(order_id, None)
                continue
            write = change(order, kept)
            self._write_order(write)
            emitted.append(write.order)
        return emitted

    async def awaiting_counts(self, now: datetime) -> tuple[int, int]:
        return len(self.awaiting), sum(1 for due in self.awaiting.values() if due <= now)

    # -------------------------------------------------------------------- account records

    async def count_lookup(
        self, account_id: str, reseller_id: str, window: timedelta
    ) -> tuple[int, float]:
        key = (reseller_id, account_id)
        self.lookups[key] = self.lookups.get(key, 0) + 1
        return self.lookups[key], window.total_seconds()

    async def customer_record(self, account_id: str, reseller_id: str) -> CustomerRecord | None:
        return self.records.get((reseller_id, account_id))

    async def put_customer_record(
        self, account_id: str, reseller_id: str, record: CustomerRecord
    ) -> None:
        self.records[(reseller_id, account_id)] = record

    async def tenant_owner(self, reseller_id: str, tenant_id: str) -> str | None:
        return self.owners.get((reseller_id, tenant_id))

    async def bind_tenant(self, reseller_id: str, tenant_id: str, account_id: str) -> str:
        return self.owners.setdefault((reseller_id, tenant_id), account_id)

    async def put_sign_in(self, pending: PendingSignIn, lifetime: timedelta) -> None:
        self.sign_ins[(pending.account_id, pending.state)] = pending

    async def take_sign_in(self, account_id: str, state: str) -> PendingSignIn | None:
        return self.sign_ins.pop((account_id, state), None)
