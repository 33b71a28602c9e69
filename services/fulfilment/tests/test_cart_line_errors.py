"""A cart Partner Center creates (201) with an error on a line ("Cart resources":
`lineItems[].error`): the saga reads it before checking out and fails the order with the line's
reason, instead of a checkout that Microsoft refuses (800009). Against a real broker, Redis and
the simulator, whose SKU here enforces an attestation the line does not accept (10012)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import ErrorSource, FulfilmentStep, OrderFailed
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    publish_orders,
    sim_requests,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


async def test_a_cart_line_error_fails_the_order_before_the_checkout(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    order = existing_tenant_order("ord-line-error")
    line = order.items[0]
    required = await sim.post(
        "/_sim/catalog/attestation", json={"productId": line.product_id, "skuId": line.sku_id}
    )
    required.raise_for_status()
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(ended("ord-line-error"))
    (failure,) = [e for e in events.of("ord-line-error") if isinstance(e, OrderFailed)]
    assert failure.code == "10012"
    assert failure.code_source is ErrorSource.PARTNER_CENTER
    assert failure.failed_step is FulfilmentStep.CART_CREATED
    assert line.title in failure.reason
    assert "attestation" in failure.reason
    assert failure.retryable is False
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts")) == 1
    assert await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout") == []
