"""The service in-process against a real broker, Redis and the simulator: each wizard path
places exactly one order, failures end with the right reason."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import (
    FulfilmentStarted,
    FulfilmentStep,
    FulfilmentStepCompleted,
    OrderFailed,
    OrderPlaced,
    ProvisioningStatus,
)
from nceflow.testing.fulfilment import (
    existing_tenant_order,
    new_tenant_order,
    publish_orders,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


def placed(order_id: str, provisioning: ProvisioningStatus = ProvisioningStatus.PENDING) -> Any:
    def check(seen: TopicReader) -> bool:
        return any(
            isinstance(e, OrderPlaced) and e.provisioning is provisioning for e in seen.of(order_id)
        )

    return check


def failed(order_id: str) -> Any:
    return lambda seen: any(isinstance(e, OrderFailed) for e in seen.of(order_id))


async def sim_orders(sim: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await sim.get(f"/_sim/customers/{customer_id}/orders")
    response.raise_for_status()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_new_tenant_with_soe_is_created_attested_qualified_and_ordered_once(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    order = new_tenant_order("ord-new-1", "fulfilnew1", soe=True)
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(placed("ord-new-1", ProvisioningStatus.COMPLETED), within=30)
    mine = events.of("ord-new-1")
    assert isinstance(mine[0], FulfilmentStarted)
    steps = [e.step for e in mine if isinstance(e, FulfilmentStepCompleted)]
    assert steps == [
        FulfilmentStep.CUSTOMER_CREATED,
        FulfilmentStep.MCA_ATTESTED,
        FulfilmentStep.QUALIFICATION_ADDED,
        FulfilmentStep.CART_CREATED,
        FulfilmentStep.CHECKED_OUT,
    ]
    final = mine[-1]
    assert isinstance(final, OrderPlaced)
    assert final.subscription_ids
    customers = (await sim.get("/_sim/customers")).json()["items"]
    created = [c for c in customers if c["domain"] == "fulfilnew1.onmicrosoft.com"]
    assert len(created) == 1
    assert created[0]["mcaAccepted"] is True
    assert created[0]["qualifications"] == ["StateOwnedEntity"]
    orders = await sim_orders(sim, created[0]["id"])
    assert len(orders) == 1
    assert orders[0]["id"] in final.order_ids


async def test_existing_indirect_tenant_orders_with_reseller_participant(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    order = existing_tenant_order("ord-ind-1", indirect=True)
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(placed("ord-ind-1"), within=30)
    steps = [e for e in events.of("ord-ind-1") if isinstance(e, FulfilmentStepCompleted)]
    assert [s.step for s in steps][:3] == [
        FulfilmentStep.CUSTOMER_RESOLVED,
        FulfilmentStep.RELATIONSHIP_VERIFIED,
        FulfilmentStep.MCA_ATTESTED,
    ]
    assert steps[2].already_done is True  # Contoso's MCA is on record
    customer_id = steps[0].customer_id
    assert customer_id is not None
    orders = await sim_orders(sim, customer_id)
    assert len(orders) == 1
    assert orders[0]["lineItems"][0]["partnerIdOnRecord"] == order.reseller.mpn_id


async def test_a_cart_that_expires_before_checkout_is_replaced_and_ordered_once(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    # Hold the checkout long enough to let the cart expire under it (7 days, as the sim sees it).
    rule = {"kind": "latency", "method": "POST", "path": "/v1/customers/*/carts/*/checkout"}
    (
        await sim.post("/_sim/faults", json={**rule, "latencyMs": 1000, "count": 1})
    ).raise_for_status()
    order = existing_tenant_order("ord-expiring")

    def cart_events(seen: TopicReader) -> list[FulfilmentStepCompleted]:
        return [
            e
            for e in seen.of("ord-expiring")
            if isinstance(e, FulfilmentStepCompleted) and e.step is FulfilmentStep.CART_CREATED
        ]

    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(lambda seen: len(cart_events(seen)) == 1)
        (created,) = cart_events(events)
        first_cart = created.cart_id
        customers = (await sim.get("/_sim/customers")).json()["items"]
        contoso = next(c for c in customers if c["domain"] == "contoso.onmicrosoft.com")
        expired = await sim.post(f"/_sim/customers/{contoso['id']}/carts/{first_cart}/expire")
        expired.raise_for_status()
        await events.wait_for(placed("ord-expiring"))
    carts = (await sim.get(f"/_sim/customers/{contoso['id']}/carts")).json()["items"]
    orders = await sim_orders(sim, contoso["id"])
    assert len(carts) == 2
    assert len(orders) == 1
    assert orders[0]["cartId"] != first_cart
    replaced = cart_events(events)
    assert replaced[0].cart_id == first_cart
    assert len(replaced) == 2
    assert orders[0]["cartId"] == replaced[1].cart_id


async def test_health_readiness_and_metrics_over_http(settings: Settings) -> None:
    from nceflow.fulfilment.app import create_app

    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http,
    ):
        assert (await http.get("/healthz")).json()["status"] == "ok"
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        metrics = await http.get("/metrics")
        assert "fulfilment_orders_accepted_total" in metrics.text


async def test_a_parked_saga_publishes_every_event_once_and_leaves_nothing_behind(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    # The order completes after 1 s: following it parks the saga (0.3 s polls) a few times, and
    # each run starts from Redis. Published events leave the outbox with the next save or at
    # the end of the run, never published a second time.
    (await sim.patch("/_sim/config", json={"order_completion_seconds": 1.0})).raise_for_status()
    order = existing_tenant_order("ord-parked")
    async with running(settings) as context:
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(placed("ord-parked", ProvisioningStatus.COMPLETED), within=30)
        store = context.store
        outbox = await store.redis.llen(store.key("outbox", "ord-parked"))
        scheduled = await store.redis.zscore(store.key("schedule"), "ord-parked")
    mine = [r for r in events.records if r.key == b"ord-parked"]
    ids = [dict(r.headers)["ce_id"] for r in mine]
    assert len(ids) == len(set(ids)) == 8  # started, five steps, placed (pending, completed)
    assert outbox == 0
    assert scheduled is None


async def test_an_order_complete_at_checkout_is_not_read_again(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    # Partner Center may answer the checkout with orders already `completed` (the simulator
    # does with no provisioning delay): following them would read nothing new.
    (await sim.patch("/_sim/config", json={"order_completion_seconds": 0})).raise_for_status()
    order = existing_tenant_order("ord-done-at-checkout")
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(placed("ord-done-at-checkout", ProvisioningStatus.COMPLETED))
    final = events.of("ord-done-at-checkout")[-1]
    assert isinstance(final, OrderPlaced)
    assert final.subscription_ids
    log = (await sim.get("/_sim/requests")).json()  # the only order of this test
    paths = [(r["method"], r["path"]) for r in log["items"]]
    assert any(p.endswith("/checkout") for _, p in paths)
    assert not any(m == "GET" and "/orders/" in p for m, p in paths)
