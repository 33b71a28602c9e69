"""Indirect sales: the reseller's partner (PLA) id is checked with "Validate reseller partner of
record (POR)" before anything is created for the order. Against a real broker, Redis and the
simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import ErrorSource, OrderFailed, OrderPlaced
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    publish_orders,
    sim_requests,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


async def test_a_reseller_partner_center_does_not_confirm_fails_before_anything_is_made(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    good = existing_tenant_order("ord-reseller-ok", indirect=True)
    stranger = existing_tenant_order("ord-reseller-unknown", indirect=True)
    stranger = stranger.model_copy(
        update={"reseller": stranger.reseller.model_copy(update={"mpn_id": "9999999"})}
    )
    async with running(settings):
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [good, stranger])
        await events.wait_for(ended("ord-reseller-ok"))
        await events.wait_for(ended("ord-reseller-unknown"))
    assert [e for e in events.of("ord-reseller-ok") if isinstance(e, OrderPlaced)]
    (failure,) = [e for e in events.of("ord-reseller-unknown") if isinstance(e, OrderFailed)]
    assert failure.code == "900400"
    assert failure.code_source is ErrorSource.PARTNER_CENTER
    assert stranger.reseller.name in failure.reason
    assert failure.retryable is False
    assert len(await sim_requests(sim, "POST", "/v1/partners/validateresellers")) == 2
    # Only the good order went on: one customer lookup, one cart.
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts")) == 1
    assert len(await sim_requests(sim, "GET", "/v1/customers")) == 1
