"""Exactly once under faults: with ~20 % of Partner Center calls throttled, failing with 503 or
losing their response, every order ends placed with exactly one order in the simulator, while
two fulfilment processes of one consumer group share the partitions."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.ops import status
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import OrderConfirmed, OrderFailed, OrderPlaced
from nceflow.testing.fulfilment import (
    existing_tenant_order,
    new_tenant_order,
    publish_orders,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]

N_ORDERS = 200


async def _both_members_assigned(bootstrap: str, group_id: str, within: float = 30) -> None:
    """Wait until the group is stable with two members (4 partitions: two each)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            (response,) = await admin.describe_consumer_groups([group_id])
            # (error_code, group_id, state, protocol_type, protocol, members)
            (group,) = response.groups
            if group[2] == "Stable" and len(group[5]) == 2:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"group {group_id} did not settle on two members")
    finally:
        await admin.close()


def _orders(n: int) -> list[OrderConfirmed]:
    """Half new tenants (create, MCA, SOE for some), half the seeded Contoso (direct/indirect)."""
    orders: list[OrderConfirmed] = []
    for i in range(n):
        order_id = f"ord-x1-{i:04d}"
        if i % 2 == 0:
            orders.append(new_tenant_order(order_id, f"xonce{i:04d}", soe=i % 4 == 0))
        else:
            orders.append(existing_tenant_order(order_id, indirect=i % 4 == 1))
    return orders


async def test_two_processes_place_every_order_exactly_once_under_injected_faults(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    for kind in ("429", "503", "lost_response"):
        rule = {"kind": kind, "path": "/v1/*", "probability": 0.075, "retryAfterSeconds": 0}
        if kind == "lost_response":
            rule["hangSeconds"] = 2
        (await sim.post("/_sim/faults", json=rule)).raise_for_status()
    orders = _orders(N_ORDERS)
    wanted = {o.order_id for o in orders}

    def all_placed(seen: TopicReader) -> bool:
        done = {e.order_id for e in seen.events if isinstance(e, OrderPlaced | OrderFailed)}
        return wanted <= done

    settings = settings.model_copy(update={"max_in_flight": 32})
    # Two processes of one consumer group (each takes two of the four partitions) and one
    # schedule: every order must still be placed once.
    async with running(settings) as first, running(settings) as second:
        await _both_members_assigned(kafka_bootstrap, settings.group_id)
        started = time.monotonic()
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, orders)
        try:
            await events.wait_for(all_placed, within=90)
        except TimeoutError:
            done = {e.order_id for e in events.events if isinstance(e, OrderPlaced | OrderFailed)}
            stuck = sorted(wanted - done)
            views = [await status(order_id, settings) for order_id in stuck[:3]]
            raise AssertionError(f"{len(stuck)} orders not finished, e.g. {views}") from None
        elapsed = time.monotonic() - started
        accepted = [first.metrics.accepted._value.get(), second.metrics.accepted._value.get()]
    assert sum(accepted) == N_ORDERS
    assert min(accepted) > 0  # both processes consumed their share

    failed = [e for e in events.events if isinstance(e, OrderFailed)]
    assert failed == []
    placed: dict[str, set[str]] = {}
    for event in events.events:
        if isinstance(event, OrderPlaced):
            placed.setdefault(event.order_id, set()).update(event.order_ids)
    assert set(placed) == wanted
    our_orders = [pc_id for ids in placed.values() for pc_id in ids]
    assert len(our_orders) == N_ORDERS  # one Partner Center order per confirmed order

    sim_orders: list[dict[str, Any]] = (await sim.get("/_sim/orders")).json()["items"]
    per_cart = Counter(o["cartId"] for o in sim_orders)
    faults = (await sim.get("/_sim/faults")).json()
    hits = {r["kind"]: r["hits"] for r in faults["items"]} if isinstance(faults, dict) else {}
    print(
        f"\n{N_ORDERS} orders in {elapsed:.1f}s (accepted per process {accepted}); "
        f"sim orders={len(sim_orders)}; "
        f"carts ordered twice={sum(1 for c in per_cart.values() if c > 1)}; faults hit={hits}"
    )
    assert len(sim_orders) == N_ORDERS
    assert {o["id"] for o in sim_orders} == set(our_orders)
    assert max(per_cart.values()) == 1
    assert sum(hits.values()) > 0
