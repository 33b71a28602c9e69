""" "Create a customer": Partner Center requires `organizationRegistrationNumber` for customers in
some countries (and the address's phone, 600051 without it). Fulfilment sends the number and the
phone the wizard collected; an order without the number (made before the wizard asked) fails with
Microsoft's refusal instead of retrying. Against a real broker, Redis and the simulator."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import (
    FulfilmentStep,
    FulfilmentStepCompleted,
    NewTenant,
    OrderConfirmed,
    OrderFailed,
)
from nceflow.testing.fulfilment import (
    new_tenant_order,
    publish_orders,
    sim_items,
    sim_requests,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


def in_brazil(order: OrderConfirmed, number: str | None) -> OrderConfirmed:
    tenant = order.tenant
    assert isinstance(tenant, NewTenant)
    company = tenant.company.model_copy(
        update={
            "address": tenant.company.address.model_copy(update={"country": "BR", "state": None}),
            "organization_registration_number": number,
        }
    )
    return order.model_copy(update={"tenant": tenant.model_copy(update={"company": company})})


def created(events: TopicReader, order_id: str) -> bool:
    return any(
        isinstance(e, FulfilmentStepCompleted) and e.step is FulfilmentStep.CUSTOMER_CREATED
        for e in events.of(order_id)
    )


async def test_the_registration_number_is_sent_and_its_absence_fails_the_order(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    numbered = in_brazil(new_tenant_order("ord-br-number", "globexbrnum"), "12.345.678/0001-90")
    missing = in_brazil(new_tenant_order("ord-br-missing", "globexbrnone"), None)
    async with running(settings):
        await publish_orders(
            kafka_bootstrap, kafka_topics.checkout_order_events, [numbered, missing]
        )
        await events.wait_for(lambda seen: created(seen, "ord-br-number"))
        await events.wait_for(
            lambda seen: any(isinstance(e, OrderFailed) for e in seen.of("ord-br-missing"))
        )
    customers = await sim_items(sim, "/_sim/customers")
    (made,) = [c for c in customers if c["domain"] == "globexbrnum.onmicrosoft.com"]
    # One creation each: the refusal is not retried.
    assert len(await sim_requests(sim, "POST", "/v1/customers")) == 2
    assert not [c for c in customers if c["domain"] == "globexbrnone.onmicrosoft.com"]
    assert made["country"] == "BR"
    assert made["organizationRegistrationNumber"] == "12.345.678/0001-90"
    (failure,) = [e for e in events.of("ord-br-missing") if isinstance(e, OrderFailed)]
    assert failure.code == "600049"
    assert failure.failed_step is FulfilmentStep.CUSTOMER_CREATED
    assert "registration id" in failure.reason
