"""A placed order that Partner Center ends without provisioning it all ("Order resources":
`error`, `cancelled`, `partial success`: "partners should repurchase"): fulfilment reports it in
`OrderPlaced.order_errors` (the placed order stands, the rest must be bought again) instead of
calling it provisioned. Against a real broker, Redis and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import OrderPlaced, ProvisioningStatus
from nceflow.testing.fulfilment import existing_tenant_order, publish_orders

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


def placed(order_id: str, provisioning: ProvisioningStatus) -> Any:
    return lambda seen: any(
        isinstance(e, OrderPlaced) and e.provisioning is provisioning for e in seen.of(order_id)
    )


@pytest.mark.parametrize(
    ("status", "subscriptions"), [("error", 0), ("cancelled", 0), ("partial success", 1)]
)
async def test_an_order_partner_center_ends_unprovisioned_is_reported_to_buy_again(
    status: str,
    subscriptions: int,
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    # Orders stay pending until the test ends them.
    patch = {"order_completion_seconds": 3600}
    (await sim.patch("/_sim/config", json=patch)).raise_for_status()
    order_id = f"ord-ended-{status.replace(' ', '-')}"
    order = existing_tenant_order(order_id)
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(placed(order_id, ProvisioningStatus.PENDING))
        (pending,) = [e for e in events.of(order_id) if isinstance(e, OrderPlaced)]
        (pc_order_id,) = pending.order_ids
        ended = await sim.post(f"/_sim/orders/{pc_order_id}/status", json={"status": status})
        ended.raise_for_status()
        await events.wait_for(placed(order_id, ProvisioningStatus.COMPLETED))
    final = [e for e in events.of(order_id) if isinstance(e, OrderPlaced)][-1]
    assert pending.order_errors == []
    (error,) = final.order_errors
    assert error.order_group_id == pc_order_id
    assert error.code == status.replace(" ", "_")
    assert "Order" in error.description
    assert pc_order_id in error.description
    assert len(final.subscription_ids) == subscriptions
