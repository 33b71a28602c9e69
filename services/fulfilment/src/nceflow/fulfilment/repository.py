"""What fulfilment stores, and the records it stores: the service layer's side of the storage
boundary (cosmicpython's repository pattern).

`SagaRepository` is all the use cases and the worker ask of storage. The Redis store
(`adapters.saga_store.SagaStore`) implements it for production, its atomic scripts and lease
fencing included; the tests' in-memory repository implements it for service-layer unit tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from nceflow.fulfilment.domain.saga import Saga
from nceflow.runtime.outbox import OutboxRecord


class Created(StrEnum):
    """What recording a new saga did."""

    CREATED = "created"
    DUPLICATE_EVENT = "duplicate_event"
    """The `OrderConfirmed` event id was recorded before: nothing written."""
    DUPLICATE_ORDER = "duplicate_order"
    """The order has a saga already (a re-publish under a new event id): the id is remembered."""


class LeaseLostError(RuntimeError):
    """Another worker holds the saga now: stop without writing."""


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to run one saga until `ttl` passes without renewal."""

    order_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Claimed:
    """A saga whose lease was taken, as read under that lease: raw, so that a record that does
    not parse fails the run of that one saga, not the claim of a whole batch."""

    lease: Lease
    raw_saga: bytes | None
    raw_outbox: list[bytes]

    def decode(self) -> tuple[Saga | None, list[OutboxRecord]]:
        """The saga (None: never started) and its unpublished events, oldest first."""
        saga = None if self.raw_saga is None else Saga.model_validate_json(self.raw_saga)
        return saga, [OutboxRecord.loads(item) for item in self.raw_outbox]


class SagaRepository(Protocol):
    """Sagas, their unpublished events, the schedule of due orders and the leases of runners.
    Every write of a runner is fenced by its lease: `LeaseLostError` once another holds it."""

    async def load(self, order_id: str) -> Saga | None:
        """The saga of an order, if it was ever started."""
        ...

    async def load_many(self, order_ids: Sequence[str]) -> list[Saga]:
        """The sagas of those orders that were ever started."""
        ...

    async def create_many(
        self, new: Sequence[tuple[Saga, Sequence[OutboxRecord], datetime]]
    ) -> list[Created]:
        """Store each new saga, its first events and its due time, unless its `OrderConfirmed`
        event id or its order was recorded before (in order: a second saga of the same order in
        `new` is a duplicate)."""
        ...

    async def save(
        self,
        saga: Saga,
        events: Sequence[OutboxRecord],
        lease: Lease,
        *,
        due: datetime | None,
        trim: int = 0,
    ) -> int:
        """Write the saga, append its events and set (None: keep) its due time, all at once,
        after dropping the `trim` oldest events (published); how many events are unpublished."""
        ...

    async def pending_events(self, order_id: str) -> list[OutboxRecord]:
        """Events of the order not yet published, oldest first."""
        ...

    async def trim_published(self, lease: Lease, count: int, *, finished: bool = False) -> None:
        """Drop the `count` oldest events (published); `finished` also takes the order off the
        schedule and gives the lease back."""
        ...

    async def schedule(self, order_id: str, due: datetime) -> None:
        """Make the order due at `due`."""
        ...

    async def unschedule(self, order_id: str) -> None:
        """Nothing more to do for this order."""
        ...

    async def claim_due(self, now: datetime, limit: int, visibility: timedelta) -> list[str]:
        """Up to `limit` due orders, their due time pushed out by `visibility` (so that one
        whose runner dies comes back)."""
        ...

    async def due_count(self, now: datetime) -> int:
        """How many orders are due now."""
        ...

    async def scheduled_count(self) -> int:
        """How many orders are scheduled at all (parked or running)."""
        ...

    async def acquire_and_load(self, order_ids: Sequence[str]) -> list[Claimed | None]:
        """Take each saga's lease and read it with its unpublished events under that lease
        (None where another runner holds it)."""
        ...

    async def renew_many(self, leases: Sequence[Lease]) -> list[bool]:
        """Extend each lease (False where it was lost)."""
        ...

    async def release(self, lease: Lease) -> None:
        """Give the lease back (only if still ours)."""
        ...
