"""What the checkout service stores, and the records of a write: the service layer's side of
the storage boundary (cosmicpython's repository pattern).

`DraftRepository` is all the use cases ask of storage. The Redis store
(`adapters.redis_store.DraftStore`) implements it for production, shards and Redis Cluster hash
tags included: none of that reaches the use cases. The tests' in-memory repository implements it
for the service-layer unit tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from nceflow.checkout.domain.draft import CustomerRecord, Draft
from nceflow.checkout.domain.order import Order
from nceflow.checkout.domain.sign_in import PendingSignIn
from nceflow.runtime.outbox import OutboxRecord


@dataclass(frozen=True, slots=True)
class OutboxEntry(OutboxRecord):
    """An event ready for Kafka, stored with the state change that caused it: the outbox
    record, with its topic (checkout publishes to more than one) and its id and type (read by
    the relay without parsing the value)."""

    topic: str
    """The logical topic name (`nceflow.schemas.topics`); the relay adds the deployment prefix."""
    event_id: str
    event_type: str

    def fields(self, committed_ms: int) -> dict[str, str | bytes]:
        """The stream entry's fields."""
        return {
            "topic": self.topic,
            "key": self.key,
            "value": self.value,
            "headers": json.dumps([[name, value.decode()] for name, value in self.headers]),
            "event_id": self.event_id,
            "event_type": self.event_type,
            "committed_ms": str(committed_ms),
        }

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes]) -> OutboxEntry:
        """Read a stream entry back."""
        headers = [(name, value.encode()) for name, value in json.loads(fields[b"headers"])]
        return cls(
            topic=fields[b"topic"].decode(),
            key=fields[b"key"],
            value=fields[b"value"],
            headers=headers,
            event_id=fields[b"event_id"].decode(),
            event_type=fields[b"event_type"].decode(),
        )


@dataclass(frozen=True)
class OrderWrite:
    """An order's new state, and what goes with it in the same transaction.

    A final order leaves the schedules of orders awaiting fulfilment (a placed one also drops
    the `OrderConfirmed` kept for re-emits). Otherwise `news_due` (Buy, or progress) sets when
    fulfilment's next news is due and the first re-emit with it; `reemit_at` (a re-emit) moves
    only the next re-emit, so the order counts as overdue until fulfilment shows progress.
    """

    order: Order
    news_due: datetime | None = None
    reemit_at: datetime | None = None
    events: Sequence[OutboxEntry] = ()
    confirmed_event: bytes | None = None
    """The `OrderConfirmed` data to keep for re-emits (written with the order at Buy)."""


@dataclass
class Mutation:
    """What one change writes: the new draft (None: nothing to write), its events, an order."""

    draft: Draft | None
    events: list[OutboxEntry] = field(default_factory=list)
    order: OrderWrite | None = None


DraftChange = Callable[[Draft | None], Mutation]
"""Given the stored draft (None: missing), what to write; may raise to abort. Called again on a
fresh read when another writer got in first (optimistic concurrency)."""
OrderChange = Callable[[Order], OrderWrite | None]
"""Given the stored order, what to write (None: nothing)."""
Redelivery = Callable[[Order, bytes], OrderWrite]
"""Given a due order and its kept `OrderConfirmed` data, the write that re-emits it."""


class DraftRepository(Protocol):
    """Drafts, orders and what checkout keeps about an account; every write with its events,
    atomically (the transactional outbox)."""

    async def insert(
        self,
        draft: Draft,
        events: Sequence[OutboxEntry],
        now: datetime,
        *,
        max_open: int | None = None,
    ) -> None:
        """Store a new draft and its events together; with `max_open`, raise `TooManyDrafts`
        instead when the account already has that many open drafts (counted atomically)."""
        ...

    async def get(self, account_id: str, draft_id: str) -> Draft | None:
        """The account's draft with that id; None if missing or another account's."""
        ...

    async def update(
        self, account_id: str, draft_id: str, change: DraftChange, now: datetime
    ) -> Mutation:
        """Apply `change` to the account's stored draft and write its result atomically;
        `ConcurrentUpdate` when the draft kept changing under it."""
        ...

    async def expire_due(
        self, now: datetime, limit: int, close: Callable[[Draft], Mutation]
    ) -> list[Draft]:
        """Apply `close` to (up to `limit` per partition of) the drafts idle past their expiry,
        each atomically; the drafts written. Entries of drafts gone or closed are dropped."""
        ...

    async def get_order(self, account_id: str, order_id: str) -> Order | None:
        """The account's order with that id; None if missing or another account's."""
        ...

    async def list_orders(
        self, account_id: str, *, limit: int, before_ms: int | None
    ) -> list[Order]:
        """The account's orders, newest first, confirmed before `before_ms` when given."""
        ...

    async def update_order(
        self, order_id: str, change: OrderChange, *, account_id: str | None = None
    ) -> Order | None:
        """Apply `change` to a stored order atomically (found by id alone: fulfilment's events
        name the order, not the account); the order written, None when nothing was."""
        ...

    async def kept_confirmation(self, order_id: str) -> bytes | None:
        """The `OrderConfirmed` data kept for an order not placed yet."""
        ...

    async def redeliver_due(self, now: datetime, limit: int, change: Redelivery) -> list[Order]:
        """Re-emit the `OrderConfirmed` of every order fulfilment has been quiet about past its
        time, once per due time across any number of replicas; the orders re-emitted."""
        ...

    async def awaiting_counts(self, now: datetime) -> tuple[int, int]:
        """How many orders await fulfilment's news, and how many are past its due time."""
        ...

    async def count_lookup(
        self, account_id: str, reseller_id: str, window: timedelta
    ) -> tuple[int, float]:
        """Count one Partner Center lookup of the account in a fixed window: how many so far
        (this one included), and the seconds until the window ends."""
        ...

    async def customer_record(self, account_id: str, reseller_id: str) -> CustomerRecord | None:
        """What is on record about the account's tenant for this reseller."""
        ...

    async def put_customer_record(
        self, account_id: str, reseller_id: str, record: CustomerRecord
    ) -> None:
        """Record the account's tenant (e.g. after an order was placed in it)."""
        ...

    async def tenant_owner(self, reseller_id: str, tenant_id: str) -> str | None:
        """The marketplace account the tenant is bound to for this reseller, if any."""
        ...

    async def bind_tenant(self, reseller_id: str, tenant_id: str, account_id: str) -> str:
        """Bind the tenant to the account unless it is bound already; returns its owner."""
        ...

    async def put_sign_in(self, pending: PendingSignIn, lifetime: timedelta) -> None:
        """Remember a sign-in until Microsoft sends the customer back (at most `lifetime`)."""
        ...

    async def take_sign_in(self, account_id: str, state: str) -> PendingSignIn | None:
        """The account's sign-in with this `state`, removed: a code is redeemed once."""
        ...
