"""A catalog item Partner Center no longer has (404 / 400019, "Partner Center REST error codes":
"issue a new GET to ensure they have the current availability ID and retry"): the saga reads the
SKU's availabilities again and builds the cart once more, or fails with the reason. Against a
real broker, Redis and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import FulfilmentStep, FulfilmentStepCompleted, OrderFailed, OrderPlaced, Term
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    item,
    publish_orders,
    sim_requests,
    tenant_orders,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


async def withdraw(sim: httpx.AsyncClient, catalog_item_id: str, *, replace: bool) -> str | None:
    response = await sim.post(
        "/_sim/catalog/withdraw", json={"catalogItemId": catalog_item_id, "replace": replace}
    )
    response.raise_for_status()
    replacement: str | None = response.json()["replacement"]
    return replacement


def carts_made(events: TopicReader, order_id: str) -> list[str | None]:
    return [
        e.cart_id
        for e in events.of(order_id)
        if isinstance(e, FulfilmentStepCompleted) and e.step is FulfilmentStep.CART_CREATED
    ]


async def test_an_availability_withdrawn_after_the_cart_is_read_again_and_ordered_once(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """Withdrawn between the cart and its checkout: the checkout's 404 / 400019 is not an
    expired cart; the new cart carries the replacement availability."""
    # Hold the checkout so the availability can be withdrawn under it.
    rule = {"kind": "latency", "method": "POST", "path": "/v1/customers/*/carts/*/checkout"}
    (
        await sim.post("/_sim/faults", json={**rule, "latencyMs": 1000, "count": 1})
    ).raise_for_status()
    order = existing_tenant_order("ord-withdrawn")
    stale = order.items[0].catalog_item_id
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(lambda seen: len(carts_made(seen, "ord-withdrawn")) == 1)
        replacement = await withdraw(sim, stale, replace=True)
        await events.wait_for(ended("ord-withdrawn"))
    assert replacement is not None
    assert replacement != stale
    assert not [e for e in events.of("ord-withdrawn") if isinstance(e, OrderFailed)]
    assert [e for e in events.of("ord-withdrawn") if isinstance(e, OrderPlaced)]
    (placed,) = await tenant_orders(sim)
    assert [line["offerId"] for line in placed["lineItems"]] == [replacement]
    first, second = carts_made(events, "ord-withdrawn")
    assert placed["cartId"] == second != first
    # One re-read of the SKU's availabilities, two checkouts: the stale one and the new one.
    reads = await sim_requests(sim, "GET", "/v1/products/*/skus/*/availabilities")
    assert len(reads) == 1
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout")) == 2


async def test_an_order_priced_on_a_stale_availability_gets_the_current_one(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """Withdrawn before fulfilment starts: the cart's 404 / 400019 leads to the same re-read."""
    order = existing_tenant_order("ord-stale")
    stale = order.items[0].catalog_item_id
    replacement = await withdraw(sim, stale, replace=True)
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(ended("ord-stale"))
    assert [e for e in events.of("ord-stale") if isinstance(e, OrderPlaced)]
    (placed,) = await tenant_orders(sim)
    assert [line["offerId"] for line in placed["lineItems"]] == [replacement]
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts")) == 2


async def test_a_plan_no_longer_sold_as_chosen_fails_with_the_reason_after_one_read(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """Withdrawn without a replacement, and a line whose term the SKU does not sell: no loop,
    one read, the order fails naming the plan."""
    withdrawn = existing_tenant_order("ord-withdrawn-for-good")
    await withdraw(sim, withdrawn.items[0].catalog_item_id, replace=False)
    # The seed sells this product for 1 month and 1 year only.
    no_term = existing_tenant_order(
        "ord-no-term", items=[item(availability_id="CFQ7TTC0ZZZZ", term=Term.P3Y)]
    )
    async with running(settings):
        await publish_orders(
            kafka_bootstrap, kafka_topics.checkout_order_events, [withdrawn, no_term]
        )
        await events.wait_for(ended("ord-withdrawn-for-good"))
        await events.wait_for(ended("ord-no-term"))
    for order in (withdrawn, no_term):
        (failure,) = [e for e in events.of(order.order_id) if isinstance(e, OrderFailed)]
        assert failure.code == "plan_changed"
        assert failure.retryable is False
        assert order.items[0].title in failure.reason
        assert failure.failed_step is FulfilmentStep.CART_CREATED
    assert "3-year" in failure.reason
    assert await tenant_orders(sim) == []
    assert len(await sim_requests(sim, "GET", "/v1/products/*/skus/*/availabilities")) == 2
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts")) == 2
