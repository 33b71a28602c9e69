"""Permanent failures end in `OrderFailed` with Microsoft's code and a reason the customer can
act on, after one attempt (no retry storm); a relationship not yet visible is re-checked for the
configured time, and the order is re-driven once the customer accepts it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

import httpx
from redis.asyncio import Redis

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.adapters.saga_store import SagaStore
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.domain.saga import SagaStatus
from nceflow.fulfilment.ops import replay, status
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import ErrorSource, FulfilmentStep, OrderFailed, OrderPlaced, Term
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    item,
    new_tenant_order,
    publish_orders,
    sim_requests,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


def failure_of(events: TopicReader, order_id: str) -> OrderFailed:
    (failed,) = [e for e in events.of(order_id) if isinstance(e, OrderFailed)]
    return failed


async def test_permanent_errors_fail_once_with_an_actionable_reason(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    taken = new_tenant_order("ord-taken", "taken")
    # An unknown availability (400019), and the SKU sells no 3-year term to replace it with.
    stale = item(availability_id="CFQ7TTC0ZZZZ", term=Term.P3Y)
    gone = existing_tenant_order("ord-gone", items=[stale])
    too_many = existing_tenant_order("ord-limit", items=[item(quantity=5000)])
    async with running(settings):
        await publish_orders(
            kafka_bootstrap, kafka_topics.checkout_order_events, [taken, gone, too_many]
        )
        for order_id in ("ord-taken", "ord-gone", "ord-limit"):
            await events.wait_for(ended(order_id), within=20)

    domain = failure_of(events, "ord-taken")
    assert domain.code == "domain_taken"
    assert domain.code_source is ErrorSource.NCEFLOW
    assert "taken.onmicrosoft.com" in domain.reason
    assert "choose another" in domain.reason
    assert domain.retryable is False
    assert domain.failed_step is FulfilmentStep.CUSTOMER_CREATED
    assert await sim_requests(sim, "POST", "/v1/customers") == []  # checked, never attempted

    plan = failure_of(events, "ord-gone")
    assert plan.code == "plan_changed"
    assert plan.code_source is ErrorSource.NCEFLOW
    assert "no longer sells" in plan.reason
    assert plan.failed_step is FulfilmentStep.CART_CREATED

    limit = failure_of(events, "ord-limit")
    assert limit.code == "800067"
    assert "limit" in limit.reason

    carts = await sim_requests(sim, "POST", "/v1/customers/*/carts")
    assert len(carts) == 2  # one attempt each for the two cart failures, no retry storm
    assert await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout") == []
    saga = await status("ord-gone", settings)
    assert saga is not None
    assert saga.status is SagaStatus.FAILED
    assert saga.failure is not None
    assert saga.failure.code == "plan_changed"
    # The availability was read again once, and nothing else was retried.
    assert len(await sim_requests(sim, "GET", "/v1/products/*/skus/*/availabilities")) == 1


async def test_relationship_not_visible_is_rechecked_then_fails_and_replay_places_it(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    order = existing_tenant_order(
        "ord-northwind", "northwind.onmicrosoft.com", confirmed_by_customer=True
    )
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(ended("ord-northwind"), within=20)
        failed = failure_of(events, "ord-northwind")
        assert failed.code == "20002"
        assert failed.retryable is True
        assert failed.action_url is not None
        assert failed.action_url.startswith("https://admin.microsoft.com/")
        assert "accept" in failed.reason
        reads = await sim_requests(sim, "GET", "/v1/customers/*")
        # Re-checked over the 2 s window every 0.3 s: several reads, not one and not hundreds.
        assert 3 <= len(reads) <= 20

        customers = (await sim.get("/_sim/customers")).json()["items"]
        northwind = next(c for c in customers if c["domain"] == "northwind.onmicrosoft.com")
        accepted = await sim.post(f"/_sim/customers/{northwind['id']}/accept-relationship")
        accepted.raise_for_status()
        # While a worker holds the saga's lease, a re-drive waits its turn: it reads and writes
        # the saga only under the lease, never a copy read before the lease was taken.
        redis = Redis.from_url(settings.redis.url)
        try:
            store = SagaStore(
                redis, settings.redis, lease_ttl=timedelta(seconds=30), retention=settings.retention
            )
            (held,) = await store.acquire_and_load(["ord-northwind"])
            assert held is not None
            busy = await replay(settings, order_id="ord-northwind")
            assert busy.redriven_orders == []
            still = await status("ord-northwind", settings)
            assert still is not None
            assert still.status is SagaStatus.FAILED
            await store.release(held.lease)
        finally:
            await redis.aclose()
        report = await replay(settings, order_id="ord-northwind")
        assert report.redriven_orders == ["ord-northwind"]
        await events.wait_for(
            lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of("ord-northwind")),
            within=20,
        )
    orders = (await sim.get(f"/_sim/customers/{northwind['id']}/orders")).json()["items"]
    assert len(orders) == 1
