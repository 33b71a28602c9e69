"""The checkout use cases over the in-memory repository: no Redis, no broker, no network.

The Redis store keeps the same contract (the integration tests walk the same paths against a
real Redis, `test_routes.py`, `test_redelivery.py`); these pin the use cases' own rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nceflow.checkout.auth import Customer
from nceflow.checkout.domain.draft import Draft, DraftStatus, TenantLookup
from nceflow.checkout.domain.order import OrderStatus, RedeliveryPolicy
from nceflow.checkout.domain.pricing import PlanQuote
from nceflow.checkout.domain.steps import STEP_INPUTS, CartItemInput, StepId
from nceflow.checkout.drafts import DraftService
from nceflow.checkout.errors import NotFound, PreconditionFailed
from nceflow.checkout.orders import OrderService
from nceflow.checkout.resellers import Reseller, load_directory
from nceflow.schemas import OrderAbandoned, OrderConfirmed, OrderDrafted, OrderPlaced, StepCompleted
from nceflow.schemas.envelope import ReceivedEvent

from .fakes import InMemoryDrafts

PLAN = "cfq7ttc0lh18-0001-p1y-monthly-us"
IDLE = timedelta(hours=1)
CONTACT = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
ANSWERS: dict[StepId, dict[str, Any]] = {
    StepId.ACCOUNT: {"kind": "new"},
    StepId.COMPANY_PROFILE: {
        "company_name": "Globex",
        "address_line1": "1 Main St",
        "city": "Redmond",
        "state": "WA",
        "postal_code": "98052",
        "country": "US",
        "phone": "+1 425 555 0100",
        "domain_prefix": "globexunit",
        **CONTACT,
    },
    StepId.PARTNER_RELATIONSHIP: {"authorization_done": "yes"},
    StepId.PARTNER_OF_RECORD: {"attestation_accepted": True},
    StepId.MCA: {"accepted": "yes", "phone": "+1 425 555 0100", **CONTACT},
    StepId.QUALIFICATION: {"qualification": "none"},
    StepId.REVIEW: {"terms_accepted": True},
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Catalog:
    """One plan, at the price the test sets."""

    def __init__(self) -> None:
        self.price = Decimal("6.00")

    async def quotes(self, plan_ids: Sequence[str]) -> dict[str, PlanQuote]:
        return {
            plan_id: PlanQuote(
                plan_id=plan_id,
                title="Microsoft 365 Business Basic",
                product_id="CFQ7TTC0LH18",
                sku_id="0001",
                availability_id="CFQ7TTC0LH18001",
                catalog_item_id="CFQ7TTC0LH18:0001:CFQ7TTC0LH18001",
                term="P1Y",
                billing_cycle="monthly",
                unit_price=self.price,
                currency="USD",
                min_quantity=1,
                max_quantity=300,
            )
            for plan_id in plan_ids
            if plan_id == PLAN
        }


class PartnerCenter:
    """Every domain is free; no tenant is found."""

    async def domain_available(self, reseller: Reseller, domain: str, correlation_id: str) -> bool:
        return True

    async def find_tenant(
        self, reseller: Reseller, domain: str, correlation_id: str
    ) -> TenantLookup:
        return TenantLookup(None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> InMemoryDrafts:
    return InMemoryDrafts()


POLICY = RedeliveryPolicy(first=timedelta(minutes=1), most=timedelta(minutes=5))


@pytest.fixture
def drafts(store: InMemoryDrafts, clock: Clock) -> DraftService:
    return DraftService(
        store,
        load_directory(),
        Catalog(),
        PartnerCenter(),
        idle_timeout=IDLE,
        redelivery=POLICY,
        clock=clock,
    )


@pytest.fixture
def orders(store: InMemoryDrafts, clock: Clock) -> OrderService:
    return OrderService(store, load_directory(), redelivery=POLICY, clock=clock)


ADA = Customer(account_id="ada", reseller_id="adatum-direct")


def types_of(store: InMemoryDrafts) -> list[str]:
    return [entry.event_type for entry in store.outbox]


async def walk_to_review(drafts: DraftService, customer: Customer = ADA) -> Draft:
    draft = await drafts.start_draft(customer, [CartItemInput(plan_id=PLAN, quantity=3)])
    while (step := draft.current_step) is not None and step is not StepId.REVIEW:
        data = STEP_INPUTS[step].model_validate(ANSWERS[step])
        draft = (await drafts.save_step(customer, draft.id, step, data, if_match=None)).draft
    return draft


async def test_a_draft_starts_with_its_events_in_the_outbox(
    drafts: DraftService, store: InMemoryDrafts
) -> None:
    draft = await drafts.start_draft(ADA, [CartItemInput(plan_id=PLAN, quantity=3)])

    assert draft.current_step is StepId.ACCOUNT
    assert types_of(store) == [OrderDrafted.event_type(), StepCompleted.event_type()]
    assert await drafts.get_draft(ADA, draft.id) == draft
    with pytest.raises(NotFound):
        await drafts.get_draft(Customer(account_id="eve", reseller_id="adatum-direct"), draft.id)
    with pytest.raises(NotFound):  # the same account under another reseller's terms
        await drafts.get_draft(Customer(account_id="ada", reseller_id="contoso-direct"), draft.id)


async def test_a_stale_version_writes_nothing(drafts: DraftService, store: InMemoryDrafts) -> None:
    draft = await drafts.start_draft(ADA, [CartItemInput(plan_id=PLAN, quantity=3)])
    data = STEP_INPUTS[StepId.ACCOUNT].model_validate(ANSWERS[StepId.ACCOUNT])
    written = len(store.outbox)

    with pytest.raises(PreconditionFailed) as refused:
        await drafts.save_step(ADA, draft.id, StepId.ACCOUNT, data, if_match=draft.version - 1)

    assert refused.value.current_version == draft.version
    assert len(store.outbox) == written
    assert store.drafts[draft.id] == draft


async def test_buy_creates_the_order_once_per_key(
    drafts: DraftService, orders: OrderService, store: InMemoryDrafts
) -> None:
    draft = await walk_to_review(drafts)
    review = STEP_INPUTS[StepId.REVIEW].model_validate(ANSWERS[StepId.REVIEW])
    await drafts.save_step(ADA, draft.id, StepId.REVIEW, review, if_match=None)

    first = await drafts.confirm(ADA, draft.id, idempotency_key="buy-1", terms_accepted=True)
    again = await drafts.confirm(ADA, draft.id, idempotency_key="buy-1", terms_accepted=True)

    assert (first.replayed, again.replayed) == (False, True)
    assert types_of(store).count(OrderConfirmed.event_type()) == 1
    order = await orders.get_order(ADA, draft.id)
    assert order.status is OrderStatus.CONFIRMED
    assert store.drafts[draft.id].status is DraftStatus.CONFIRMED
    assert await store.awaiting_counts(store.drafts[draft.id].updated_at) == (1, 0)


async def test_an_idle_draft_expires_once(
    drafts: DraftService, store: InMemoryDrafts, clock: Clock
) -> None:
    draft = await drafts.start_draft(ADA, None)
    assert await drafts.expire_due() == 0

    clock.now += IDLE + timedelta(seconds=1)

    assert await drafts.expire_due() == 1
    assert await drafts.expire_due() == 0
    assert types_of(store).count(OrderAbandoned.event_type()) == 1
    assert store.drafts[draft.id].closed_at is not None


async def test_a_quiet_fulfilment_gets_the_confirmation_again_until_the_order_is_placed(
    drafts: DraftService, orders: OrderService, store: InMemoryDrafts, clock: Clock
) -> None:
    draft = await walk_to_review(drafts)
    review = STEP_INPUTS[StepId.REVIEW].model_validate(ANSWERS[StepId.REVIEW])
    await drafts.save_step(ADA, draft.id, StepId.REVIEW, review, if_match=None)
    await drafts.confirm(ADA, draft.id, idempotency_key="buy-1", terms_accepted=True)
    assert await orders.redeliver_due() == 0

    clock.now += timedelta(minutes=2)
    assert await orders.redeliver_due() == 1
    confirmations = [e for e in store.outbox if e.event_type == OrderConfirmed.event_type()]
    assert len(confirmations) == 2
    assert confirmations[0].event_id != confirmations[1].event_id
    assert confirmations[0].key == confirmations[1].key

    placed = OrderPlaced(
        order_id=draft.id,
        correlation_id=draft.correlation_id,
        customer_id=str(uuid.uuid4()),
        order_ids=["ord-1"],
    )
    received = ReceivedEvent(
        id=str(uuid.uuid4()),
        type=OrderPlaced.event_type(),
        source="/nceflow/fulfilment",
        subject=draft.id,
        time=clock.now,
        dataschema=None,
        data=placed,
    )
    order = await orders.apply_fulfilment_event(received)
    assert order is not None
    assert order.status is OrderStatus.PLACED
    assert await orders.apply_fulfilment_event(received) is None  # a redelivery: no change

    clock.now += timedelta(hours=1)
    assert await orders.redeliver_due() == 0
    assert await store.tenant_owner("adatum-direct", placed.customer_id) == "ada"
    record = await store.customer_record("ada", "adatum-direct")
    assert record is not None
    assert record.customer_tenant_id == placed.customer_id


async def test_a_fulfilment_event_for_an_unknown_order_changes_nothing(
    orders: OrderService, store: InMemoryDrafts
) -> None:
    placed = OrderPlaced(
        order_id=str(uuid.uuid4()),
        correlation_id=str(uuid.uuid4()),
        customer_id=str(uuid.uuid4()),
        order_ids=["ord-1"],
    )
    received = ReceivedEvent(
        id=str(uuid.uuid4()),
        type=OrderPlaced.event_type(),
        source="/nceflow/fulfilment",
        subject=placed.order_id,
        time=None,
        dataschema=None,
        data=placed,
    )

    assert await orders.apply_fulfilment_event(received) is None
    assert store.records == {}
    assert store.owners == {}
