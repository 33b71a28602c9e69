"""A placed order's saga is kept for `retention` (duplicates are answered from it), without the
contacts' personal data; a failed one keeps them, since a re-drive may still need them. Against
a real broker, Redis and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import OrderPlaced
from nceflow.testing.fulfilment import (
    CONTACT,
    new_tenant_order,
    publish_orders,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


async def test_a_placed_orders_saga_keeps_no_contact_details(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    order = new_tenant_order("ord-pii", "piiltd")
    async with running(settings) as context:
        await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])
        await events.wait_for(
            lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of("ord-pii"))
        )
        saved = await context.store.redis.get(context.store.key("saga", "ord-pii"))
        assert saved is not None
        stored = await context.store.load("ord-pii")
    text = saved.decode() if isinstance(saved, bytes) else saved
    for personal in (CONTACT.first_name, CONTACT.last_name, CONTACT.email, CONTACT.phone):
        assert personal not in text, personal
    assert stored is not None
    assert stored.order.order_id == "ord-pii"  # still a valid order, for duplicates
    assert "piiltd.onmicrosoft.com" in text
