"""Helpers for tests and benchmarks that drive the fulfilment service against the simulator.

- order builders for the simulator's seeded partners, customers and catalog;
- `fulfilment_settings` / `fulfilment_env`: the service's settings (in-process) or environment
  (subprocess) pointed at a test's broker, Redis, topics and simulator, with short waits;
- `publish_orders` and `TopicReader` (a consumer of the fulfilment topic that waits on
  conditions, never on sleeps), `ended` (the condition "the order was placed or failed");
- `sim_items` / `sim_requests`: what the simulator holds and what it was asked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from aiokafka import AIOKafkaProducer

from nceflow.fulfilment.settings import Settings
from nceflow.schemas import (
    AccountChoice,
    Address,
    BillingCycle,
    CompanyProfile,
    Contact,
    ExistingTenant,
    McaAcceptance,
    NewTenant,
    OrderConfirmed,
    OrderFailed,
    OrderItem,
    OrderPlaced,
    PartnerOfRecordAttestation,
    Qualification,
    RelationshipConfirmedByCustomer,
    RelationshipOnRecord,
    Reseller,
    SalesModel,
    Term,
)
from nceflow.schemas.envelope import CHECKOUT_SOURCE, to_kafka
from nceflow.testing.partner_center import seed

if TYPE_CHECKING:  # the harness's reader, for the type only: no dependency on the harness
    from nceflow.devstack.topic_reader import TopicReader

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CONTACT = Contact(
    first_name="Megan", last_name="Bowen", email="megan@example.com", phone="+1 425 555 0100"
)


def _partner(key: str) -> dict[str, Any]:
    return next(p for p in seed()["partners"] if p["key"] == key)


def direct_reseller() -> Reseller:
    """The simulator's direct partner (Adatum Cloud Solutions)."""
    partner = _partner("direct")
    return Reseller(
        reseller_id="adatum",
        name=partner["name"],
        sales_model=SalesModel.DIRECT,
        partner_id=partner["tenantId"],
    )


def indirect_reseller() -> Reseller:
    """Tailspin IT Services, an indirect reseller of the simulator's indirect provider."""
    provider = _partner("indirect")
    reseller = provider["resellers"][0]
    return Reseller(
        reseller_id="tailspin",
        name=reseller["name"],
        sales_model=SalesModel.INDIRECT,
        partner_id=reseller["partnerId"],
        mpn_id=reseller["mpnId"],
        indirect_provider_partner_id=provider["tenantId"],
    )


def item(
    product_id: str = "CFQ7TTC0LH18",
    *,
    quantity: int = 5,
    term: Term = Term.P1Y,
    billing_cycle: BillingCycle = BillingCycle.MONTHLY,
    availability_id: str | None = None,
) -> OrderItem:
    """An order line for a seeded catalog product (its first SKU and availability)."""
    product = next(p for p in seed()["catalog"]["products"] if p["id"] == product_id)
    sku = product["skus"][0]
    availability = availability_id or sku["availabilities"][0]["id"]
    return OrderItem(
        plan_id=f"{product_id.lower()}-{term.value.lower()}-{billing_cycle.value}",
        catalog_item_id=f"{product_id}:{sku['id']}:{availability}",
        product_id=product_id,
        sku_id=sku["id"],
        availability_id=availability,
        title=product.get("title", product_id)[:200],
        term=term,
        billing_cycle=billing_cycle,
        quantity=quantity,
        unit_price=Decimal("6.30"),
        currency="USD",
    )


def _order(
    order_id: str,
    tenant: NewTenant | ExistingTenant,
    *,
    indirect: bool,
    soe: bool,
    items: list[OrderItem] | None,
) -> OrderConfirmed:
    reseller = indirect_reseller() if indirect else direct_reseller()
    lines = items or [item()]
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Decimal(0)) + line.amount
    return OrderConfirmed(
        order_id=order_id,
        correlation_id=str(uuid.uuid4()),
        marketplace_account_id="acct-1",
        reseller=reseller,
        tenant=tenant,
        partner_of_record=(
            PartnerOfRecordAttestation(accepted_at=AT, partner_id=reseller.partner_id)
            if indirect
            else None
        ),
        mca=McaAcceptance(
            accepted_by=CONTACT,
            date_agreed=date(2026, 11, 25),
            agreement_link="https://www.microsoft.com/licensing/docs/customeragreement",
        ),
        qualification=Qualification.STATE_OWNED_ENTITY if soe else Qualification.NONE,
        terms_of_service_accepted_at=AT,
        items=lines,
        totals=totals,
        idempotency_key=f"buy-{order_id}",
    )


def new_tenant_order(
    order_id: str,
    domain_prefix: str,
    *,
    indirect: bool = False,
    soe: bool = False,
    items: list[OrderItem] | None = None,
) -> OrderConfirmed:
    """An order that creates the tenant `<domain_prefix>.onmicrosoft.com`."""
    tenant = NewTenant(
        account=AccountChoice.NEW,
        company=CompanyProfile(
            company_name=f"{domain_prefix} Ltd",
            address=Address(
                address_line1="1 Microsoft Way",
                city="Redmond",
                state="WA",
                postal_code="98052",
                country="US",
            ),
            primary_contact=CONTACT,
            domain=f"{domain_prefix}.onmicrosoft.com",
        ),
    )
    return _order(order_id, tenant, indirect=indirect, soe=soe, items=items)


def existing_tenant_order(
    order_id: str,
    domain: str = "contoso.onmicrosoft.com",
    *,
    indirect: bool = False,
    soe: bool = False,
    confirmed_by_customer: bool = False,
    items: list[OrderItem] | None = None,
) -> OrderConfirmed:
    """An order for an existing tenant (by default the seeded Contoso)."""
    relationship: RelationshipConfirmedByCustomer | RelationshipOnRecord = (
        RelationshipConfirmedByCustomer(
            status="confirmed_by_customer", confirmed_at=AT, confirmed_by="user-1"
        )
        if confirmed_by_customer
        else RelationshipOnRecord(status="on_record", checked_at=AT)
    )
    tenant = ExistingTenant(
        account=AccountChoice.EXISTING, primary_domain=domain, relationship=relationship
    )
    return _order(order_id, tenant, indirect=indirect, soe=soe, items=items)


# --------------------------------------------------------------------------- settings


def fulfilment_env(
    *,
    kafka_bootstrap: str,
    enable_idempotence: bool,
    topic_prefix: str,
    redis_url: str,
    redis_prefix: str,
    sim_url: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment of a fulfilment subprocess for one test: both seeded partners, short waits."""
    direct, indirect = _partner("direct"), _partner("indirect")
    env = {
        "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE": str(enable_idempotence).lower(),
        "NCEFLOW_TOPIC_PREFIX": topic_prefix,
        "NCEFLOW_REDIS_URL": redis_url,
        "NCEFLOW_REDIS_KEY_PREFIX": redis_prefix,
        "NCEFLOW_PARTNER_CENTER_BASE_URL": sim_url,
        "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL": sim_url,
        "NCEFLOW_PARTNER_CENTER_TENANT_ID": direct["tenantId"],
        "NCEFLOW_PARTNER_CENTER_CLIENT_ID": direct["app"]["clientId"],
        "NCEFLOW_PARTNER_CENTER_CLIENT_SECRET": direct["app"]["clientSecret"],
        "NCEFLOW_PARTNER_CENTER_REFRESH_TOKEN": direct["app"]["refreshToken"],
        "NCEFLOW_PARTNER_CENTER_RATE_LIMIT_PER_MINUTE": "0",
        "NCEFLOW_PARTNER_CENTER_READ_TIMEOUT_SECONDS": "1.5",
        "NCEFLOW_PARTNER_CENTER_RETRY_BUDGET_SECONDS": "5",
        "NCEFLOW_PARTNER_CENTER_BACKOFF_INITIAL_SECONDS": "0.05",
        "NCEFLOW_PARTNER_CENTER_BACKOFF_MAX_SECONDS": "0.5",
        "NCEFLOW_FULFILMENT_PARTNERS": json.dumps(
            {
                indirect["tenantId"]: {
                    "client_id": indirect["app"]["clientId"],
                    "client_secret": indirect["app"]["clientSecret"],
                    "refresh_token": indirect["app"]["refreshToken"],
                }
            }
        ),
        # A group of this test's own: joining a group that other tests left waits for them.
        "NCEFLOW_FULFILMENT_GROUP_ID": f"{topic_prefix}fulfilment",
        "NCEFLOW_FULFILMENT_POLL_INTERVAL_SECONDS": "0.05",
        "NCEFLOW_FULFILMENT_LEASE_TTL_SECONDS": "2",
        "NCEFLOW_FULFILMENT_VISIBILITY_TIMEOUT_SECONDS": "3",
        "NCEFLOW_FULFILMENT_RETRY_INITIAL_SECONDS": "0.1",
        "NCEFLOW_FULFILMENT_RETRY_MAX_SECONDS": "1",
        "NCEFLOW_FULFILMENT_RELATIONSHIP_WAIT": "PT2S",
        "NCEFLOW_FULFILMENT_RELATIONSHIP_RECHECK_SECONDS": "0.3",
        "NCEFLOW_FULFILMENT_FOLLOW_POLL_SECONDS": "0.3",
        "NCEFLOW_FULFILMENT_FOLLOW_ORDER_FOR": "PT30S",
        "NCEFLOW_FULFILMENT_CONSUMER_SESSION_TIMEOUT_MS": "6000",
    }
    env.update(extra or {})
    return env


def fulfilment_settings(**kwargs: Any) -> Settings:
    """In-process settings equal to `fulfilment_env(**kwargs)` (read through the same variables)."""
    import os
    from unittest import mock

    with mock.patch.dict(os.environ, fulfilment_env(**kwargs)):
        return Settings()


# --------------------------------------------------------------------------- kafka


async def publish_orders(
    bootstrap: str, topic: str, orders: Iterable[OrderConfirmed], *, event_id: str | None = None
) -> None:
    """Publish `OrderConfirmed` events as checkout does (key = order id)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for order in orders:
            record = to_kafka(order, source=CHECKOUT_SOURCE, event_id=event_id)
            await producer.send(
                topic, value=record.value, key=record.key, headers=list(record.headers)
            )
        await producer.flush()
    finally:
        await producer.stop()


async def publish_raw(
    bootstrap: str,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Publish any bytes (a poison message)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=value, key=key, headers=headers or [])
    finally:
        await producer.stop()


def ended(order_id: str) -> Callable[[TopicReader], bool]:
    """The condition "the order was placed or failed", for `TopicReader.wait_for`."""
    return lambda seen: any(isinstance(e, OrderFailed | OrderPlaced) for e in seen.of(order_id))


async def sim_items(sim: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    """The `items` of a simulator inspection route (e.g. `/_sim/customers`)."""
    response = await sim.get(path)
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def sim_requests(sim: httpx.AsyncClient, method: str, path: str) -> list[dict[str, Any]]:
    """The simulator's log of the requests matching `method` and the `path` glob."""
    response = await sim.get("/_sim/requests", params={"method": method, "path": path})
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def tenant_orders(
    sim: httpx.AsyncClient, domain: str = "contoso.onmicrosoft.com"
) -> list[dict[str, Any]]:
    """Every order the simulator holds for the customer tenant with `domain` (Contoso's by
    default), oldest first."""
    customers = await sim_items(sim, "/_sim/customers")
    tenant = next(c for c in customers if c["domain"] == domain)
    return await sim_items(sim, f"/_sim/customers/{tenant['id']}/orders")
