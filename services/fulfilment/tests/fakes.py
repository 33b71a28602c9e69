"""In-memory stand-ins for the fulfilment service-layer unit tests: a `SagaRepository` with the
Redis store's contract (dedupe, lease fencing, schedule; the store itself is proven against a
real Redis by the integration tests), a publisher that keeps what it was given, and Partner
Center steps that answer as a healthy Partner Center would."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from nceflow.fulfilment.domain.outcomes import CheckedOut, Followed, StepRetryable
from nceflow.fulfilment.domain.saga import Saga
from nceflow.fulfilment.repository import (
    Claimed,
    Created,
    Lease,
    LeaseLostError,
)
from nceflow.fulfilment.service import MarkAttempted
from nceflow.runtime.outbox import OutboxRecord


class InMemorySagas:
    """Sagas, outboxes, the schedule and leases in dicts. A saga is stored as JSON, as Redis
    holds it: the service changes its `Saga` in place, the store keeps what was saved."""

    def __init__(self) -> None:
        self.sagas: dict[str, str] = {}
        self.outbox: dict[str, list[OutboxRecord]] = {}
        self.event_ids: set[str] = set()
        self.due: dict[str, datetime] = {}
        self.leases: dict[str, str] = {}

    def _fenced(self, lease: Lease) -> None:
        if self.leases.get(lease.order_id) != lease.token:
            raise LeaseLostError(f"lease on {lease.order_id} lost")

    async def load(self, order_id: str) -> Saga | None:
        raw = self.sagas.get(order_id)
        return None if raw is None else Saga.model_validate_json(raw)

    async def load_many(self, order_ids: Sequence[str]) -> list[Saga]:
        return [Saga.model_validate_json(self.sagas[o]) for o in order_ids if o in self.sagas]

    async def create_many(
        self, new: Sequence[tuple[Saga, Sequence[OutboxRecord], datetime]]
    ) -> list[Created]:
        results = []
        for saga, events, due in new:
            if saga.event_id in self.event_ids:
                results.append(Created.DUPLICATE_EVENT)
                continue
            self.event_ids.add(saga.event_id)
            if saga.order_id in self.sagas:
                results.append(Created.DUPLICATE_ORDER)
                continue
            self.sagas[saga.order_id] = saga.model_dump_json()
            self.outbox[saga.order_id] = list(events)
            self.due[saga.order_id] = due
            results.append(Created.CREATED)
        return results

    async def save(
        self,
        saga: Saga,
        events: Sequence[OutboxRecord],
        lease: Lease,
        *,
        due: datetime | None,
        trim: int = 0,
    ) -> int:
        self._fenced(lease)
        outbox = self.outbox.setdefault(saga.order_id, [])
        del outbox[:trim]
        self.sagas[saga.order_id] = saga.model_dump_json()
        outbox.extend(events)
        if due is not None:
            self.due[saga.order_id] = due
        return len(outbox)

    async def pending_events(self, order_id: str) -> list[OutboxRecord]:
        return list(self.outbox.get(order_id, []))

    async def trim_published(self, lease: Lease, count: int, *, finished: bool = False) -> None:
        self._fenced(lease)
        del self.outbox.setdefault(lease.order_id, [])[:count]
        if finished:
            self.due.pop(lease.order_id, None)
            self.leases.pop(lease.order_id, None)

    async def schedule(self, order_id: str, due: datetime) -> None:
        self.due[order_id] = due

    async def unschedule(self, order_id: str) -> None:
        self.due.pop(order_id, None)

    async def claim_due(self, now: datetime, limit: int, visibility: timedelta) -> list[str]:
        due = sorted((at, order_id) for order_id, at in self.due.items() if at <= now)
        claimed = [order_id for _, order_id in due[: max(limit, 0)]]
        for order_id in claimed:
            self.due[order_id] = now + visibility
        return claimed

    async def due_count(self, now: datetime) -> int:
        return sum(1 for at in self.due.values() if at <= now)

    async def scheduled_count(self) -> int:
        return len(self.due)

    async def acquire_and_load(self, order_ids: Sequence[str]) -> list[Claimed | None]:
        claimed: list[Claimed | None] = []
        for order_id in order_ids:
            if order_id in self.leases:
                claimed.append(None)
                continue
            lease = Lease(order_id, uuid.uuid4().hex)
            self.leases[order_id] = lease.token
            raw = self.sagas.get(order_id)
            outbox = [record.dumps().encode() for record in self.outbox.get(order_id, [])]
            claimed.append(Claimed(lease, None if raw is None else raw.encode(), outbox))
        return claimed

    async def renew_many(self, leases: Sequence[Lease]) -> list[bool]:
        return [self.leases.get(lease.order_id) == lease.token for lease in leases]

    async def release(self, lease: Lease) -> None:
        if self.leases.get(lease.order_id) == lease.token:
            del self.leases[lease.order_id]


class KeptEvents:
    """An `EventPublisher` that keeps every record it was given, in order."""

    def __init__(self) -> None:
        self.records: list[OutboxRecord] = []

    async def publish_events(self, records: Sequence[OutboxRecord]) -> None:
        self.records.extend(records)


class HealthyPartnerCenter:
    """The saga's steps answered as a healthy Partner Center would, an existing customer's
    order placed and provisioned; `busy_checkouts` first answers the checkout with a
    throttling (429-like) retryable failure that many times. Counts every call."""

    def __init__(self, *, busy_checkouts: int = 0) -> None:
        self.calls: list[str] = []
        self.busy_checkouts = busy_checkouts

    async def validate_reseller(self, saga: Saga) -> None:
        self.calls.append("validate_reseller")

    async def find_customer(self, saga: Saga) -> str:
        self.calls.append("find_customer")
        return "4c3a0c8e-7c55-4a53-9b60-1f2c1d0e9a11"

    async def verify_relationship(self, saga: Saga) -> None:
        self.calls.append("verify_relationship")

    async def create_customer(self, saga: Saga, mark_attempted: MarkAttempted) -> tuple[str, bool]:
        self.calls.append("create_customer")
        await mark_attempted()
        return "9d1f0b52-2f0e-4a3c-8b1e-5d7a6c4b3e21", False

    async def attest_mca(self, saga: Saga) -> bool:
        self.calls.append("attest_mca")
        return True

    async def add_qualification(self, saga: Saga) -> bool:
        self.calls.append("add_qualification")
        return False

    async def refresh_availability(self, saga: Saga) -> list[str]:
        self.calls.append("refresh_availability")
        return [item.availability_id for item in saga.order.items]

    async def create_cart(self, saga: Saga) -> tuple[str, datetime | None]:
        self.calls.append("create_cart")
        return "0a1b2c3d-0000-4000-8000-000000000001", None

    async def check_out(
        self, saga: Saga, mark_attempted: MarkAttempted, now: datetime
    ) -> CheckedOut:
        self.calls.append("check_out")
        if self.busy_checkouts > 0:
            self.busy_checkouts -= 1
            raise StepRetryable("429 Too Many Requests", retry_after=timedelta(seconds=30))
        await mark_attempted()
        return CheckedOut(order_ids=["ord-pc-1"], subscription_ids=["sub-1"], completed=True)

    async def follow_order(self, saga: Saga) -> Followed:
        self.calls.append("follow_order")
        return Followed(subscription_ids=["sub-1"], finished=True)
