"""A checkout repeated on a cart that is already `Ordered` ("Check out an order for a
customer": the first result again; the error table: 400 / 800065 "Can't check out an already
submitted cart"). Either way the order is placed once and reported placed with its order id,
never failed. Against a real broker, Redis and the simulator: the checkout's answer is lost and
Partner Center has forgotten its `MS-RequestId`, so the retry is a new checkout to it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import OrderFailed, OrderPlaced
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    publish_orders,
    sim_requests,
    tenant_orders,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


@pytest.mark.parametrize("repeat", ["first_result", "already_submitted"])
async def test_a_repeated_checkout_of_an_ordered_cart_finishes_as_placed(
    repeat: str,
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    config = {
        "repeat_checkout": repeat,
        "request_id_memory_seconds": 0.001,
        "order_list_delay_seconds": 0.5,
    }
    (await sim.patch("/_sim/config", json=config)).raise_for_status()
    rule = {"kind": "lost_response", "method": "POST", "path": "/v1/customers/*/carts/*/checkout"}
    (await sim.post("/_sim/faults", json={**rule, "count": 1, "hangSeconds": 0})).raise_for_status()
    order = existing_tenant_order(f"ord-repeat-{repeat}")
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(ended(order.order_id), within=30)
    seen = events.of(order.order_id)
    assert not [e for e in seen if isinstance(e, OrderFailed)]
    (placed_order,) = await tenant_orders(sim)
    (placed, *_) = [e for e in seen if isinstance(e, OrderPlaced)]
    assert placed.order_ids == [placed_order["id"]]
    checkouts = await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout")
    listings = await sim_requests(sim, "GET", "/v1/customers/*/orders")
    if repeat == "already_submitted":
        assert [r["status"] for r in checkouts][1:] == [400]
        assert listings  # found in the customer's order list
    else:
        assert [r["status"] for r in checkouts][1:] == [201]
        assert listings == []  # the answer named the order
