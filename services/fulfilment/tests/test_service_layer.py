"""The fulfilment use cases over in-memory stand-ins: no Redis, no broker, no Partner Center.

The same paths run against a real broker, Redis and the simulator in `test_service.py`; these
pin the service layer's own rules: dedupe at intake, one checkout per order, a parked saga
coming back when Partner Center said, every event published once and nothing left behind.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nceflow.fulfilment.domain.saga import RetryPolicy, SagaStatus
from nceflow.fulfilment.metrics import Metrics
from nceflow.fulfilment.repository import LeaseLostError
from nceflow.fulfilment.service import Accepted, FulfilmentService, SagaTiming
from nceflow.schemas import (
    FulfilmentStarted,
    FulfilmentStep,
    FulfilmentStepCompleted,
    OrderPlaced,
    ProvisioningStatus,
)
from nceflow.schemas.envelope import from_kafka
from nceflow.testing.fulfilment import existing_tenant_order

from .fakes import HealthyPartnerCenter, InMemorySagas, KeptEvents

TIMING = SagaTiming(
    retry=RetryPolicy(),
    relationship_wait=timedelta(hours=1),
    relationship_recheck=timedelta(minutes=1),
    follow_order_for=timedelta(hours=1),
    follow_poll=timedelta(seconds=30),
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> InMemorySagas:
    return InMemorySagas()


@pytest.fixture
def published() -> KeptEvents:
    return KeptEvents()


def service_with(
    store: InMemorySagas, steps: HealthyPartnerCenter, published: KeptEvents, clock: Clock
) -> FulfilmentService:
    return FulfilmentService(
        store, steps, published, TIMING, Metrics(), clock=clock, jitter=lambda: 0.0
    )


async def run_due(service: FulfilmentService, store: InMemorySagas, clock: Clock) -> int:
    """Claim the due orders and run each, as the worker does; how many ran."""
    due = await store.claim_due(clock.now, 10, timedelta(minutes=5))
    ran = 0
    for claimed in await store.acquire_and_load(due):
        assert claimed is not None
        if not await service.run(claimed):
            await store.release(claimed.lease)
        ran += 1
    return ran


async def test_an_order_is_taken_once_by_event_id_and_by_order_id(
    store: InMemorySagas, published: KeptEvents, clock: Clock
) -> None:
    service = service_with(store, HealthyPartnerCenter(), published, clock)
    order = existing_tenant_order("ord-1")

    first = await service.accept_many([(order, "evt-1")])
    again = await service.accept_many([(order, "evt-1"), (order, "evt-2")])

    assert first == [Accepted.STARTED]
    assert again == [Accepted.DUPLICATE_EVENT, Accepted.DUPLICATE_ORDER]
    assert list(store.sagas) == ["ord-1"]


async def test_a_saga_runs_to_placed_publishing_each_event_once(
    store: InMemorySagas, published: KeptEvents, clock: Clock
) -> None:
    steps = HealthyPartnerCenter()
    service = service_with(store, steps, published, clock)
    await service.accept_many([(existing_tenant_order("ord-1"), "evt-1")])

    assert await run_due(service, store, clock) == 1

    events = [from_kafka(record.value).data for record in published.records]
    assert isinstance(events[0], FulfilmentStarted)
    steps_done = [e.step for e in events if isinstance(e, FulfilmentStepCompleted)]
    assert steps_done == [
        FulfilmentStep.CUSTOMER_RESOLVED,
        FulfilmentStep.RELATIONSHIP_VERIFIED,
        FulfilmentStep.MCA_ATTESTED,
        FulfilmentStep.CART_CREATED,
        FulfilmentStep.CHECKED_OUT,
    ]
    placed = [e for e in events if isinstance(e, OrderPlaced)]
    assert [e.provisioning for e in placed] == [
        ProvisioningStatus.PENDING,
        ProvisioningStatus.COMPLETED,  # the checkout's answer said so: no order to follow
    ]
    assert len(events) == 1 + len(steps_done) + len(placed)
    assert "follow_order" not in steps.calls
    ids = [dict(record.headers)["ce_id"] for record in published.records]
    assert len(ids) == len(set(ids))
    assert steps.calls.count("check_out") == 1
    saga = await store.load("ord-1")
    assert saga is not None
    assert saga.status is SagaStatus.COMPLETED
    assert store.outbox["ord-1"] == []
    assert "ord-1" not in store.due
    assert "ord-1" not in store.leases


async def test_a_throttled_checkout_parks_the_saga_until_partner_center_says(
    store: InMemorySagas, published: KeptEvents, clock: Clock
) -> None:
    steps = HealthyPartnerCenter(busy_checkouts=1)
    service = service_with(store, steps, published, clock)
    await service.accept_many([(existing_tenant_order("ord-1"), "evt-1")])

    await run_due(service, store, clock)

    assert store.due["ord-1"] == clock.now + timedelta(seconds=30)  # Retry-After, not sooner
    assert await run_due(service, store, clock) == 0
    before = len(published.records)
    clock.now += timedelta(seconds=30)
    assert await run_due(service, store, clock) == 1
    assert steps.calls.count("check_out") == 2
    assert isinstance(from_kafka(published.records[-1].value).data, OrderPlaced)
    assert len(published.records) > before
    assert "ord-1" not in store.due


async def test_a_runner_that_lost_its_lease_writes_nothing(
    store: InMemorySagas, published: KeptEvents, clock: Clock
) -> None:
    service = service_with(store, HealthyPartnerCenter(), published, clock)
    await service.accept_many([(existing_tenant_order("ord-1"), "evt-1")])
    (claimed,) = await store.acquire_and_load(["ord-1"])
    assert claimed is not None
    store.leases["ord-1"] = "another-runner"
    saved = store.sagas["ord-1"]

    with pytest.raises(LeaseLostError):
        await service.run(claimed)
    assert store.sagas["ord-1"] == saved
