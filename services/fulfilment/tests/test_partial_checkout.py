"""A partial checkout: Partner Center orders one order group of the cart and refuses the other.

The placed order stands (it is never bought again) and `OrderPlaced` names the refused group
with Microsoft's code, so that checkout can show the customer what was not bought.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import BillingCycle, OrderFailed, OrderPlaced
from nceflow.testing.fulfilment import (
    existing_tenant_order,
    item,
    publish_orders,
    sim_items,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


async def test_a_refused_order_group_is_reported_with_the_placed_order(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    refusal = {
        "kind": "order_error",
        "path": "/v1/customers/*/carts/*/checkout",
        "count": 1,
        "code": 800002,
        "description": "The quantity is not allowed for this product.",
    }
    (await sim.post("/_sim/faults", json=refusal)).raise_for_status()
    # Monthly and annual billing make two order groups ("0" and "1"); the fault refuses "0".
    order = existing_tenant_order(
        "ord-partial",
        items=[item(billing_cycle=BillingCycle.MONTHLY), item(billing_cycle=BillingCycle.ANNUAL)],
    )

    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(
            lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of("ord-partial")),
            within=20,
        )

    seen = events.of("ord-partial")
    assert not [e for e in seen if isinstance(e, OrderFailed)]
    placed = [e for e in seen if isinstance(e, OrderPlaced)]
    assert len(placed[0].order_ids) == 1
    for event in placed:  # the first (pending) and any later one (provisioned) say it
        assert [(g.order_group_id, g.code) for g in event.order_errors] == [("0", "800002")]
        assert event.order_errors[0].description == refusal["description"]
    customers = await sim_items(sim, "/_sim/customers")
    contoso = next(c for c in customers if c["domain"] == "contoso.onmicrosoft.com")
    orders = await sim_items(sim, f"/_sim/customers/{contoso['id']}/orders")
    assert len(orders) == 1  # the refused group was not bought again
