"""Fixtures of the end-to-end tests: the real catalog (a process), checkout and fulfilment (their
apps with their real lifespans), a real broker and Redis, and the Partner Center simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from nceflow.checkout.app import create_app as create_checkout
from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.devstack.pytest_plugin import KafkaServer, KafkaTopics
from nceflow.devstack.stack import simulator_partner_credentials
from nceflow.fulfilment.app import create_app as create_fulfilment
from nceflow.testing.checkout import checkout_settings
from nceflow.testing.fulfilment import fulfilment_settings


@pytest.fixture
async def sim(partner_center_sim: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's control API, reset to its seed, orders completing quickly."""
    async with httpx.AsyncClient(base_url=partner_center_sim, timeout=10) as http:
        (await http.post("/_sim/reset")).raise_for_status()
        patch = {"order_completion_seconds": 0.2, "rate_limit_per_minute": 0}
        (await http.patch("/_sim/config", json=patch)).raise_for_status()
        yield http


@pytest.fixture
async def stack(
    sim: httpx.AsyncClient,
    kafka_server: KafkaServer,
    kafka_topics: KafkaTopics,
    redis_url: str,
    redis_prefix: str,
    catalog_url: str,
    partner_center_sim: str,
) -> AsyncIterator[tuple[httpx.AsyncClient, CheckoutSettings]]:
    """Checkout's API (client and settings) with fulfilment running behind it."""
    settings = checkout_settings(
        kafka_bootstrap=kafka_server.bootstrap_servers,
        enable_idempotence=kafka_server.supports_idempotence,
        topic_prefix=kafka_topics.prefix,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        catalog_url=catalog_url,
        sim_url=partner_center_sim,
    )
    fulfilment = create_fulfilment(
        fulfilment_settings(
            kafka_bootstrap=kafka_server.bootstrap_servers,
            enable_idempotence=kafka_server.supports_idempotence,
            topic_prefix=kafka_topics.prefix,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            sim_url=partner_center_sim,
            # Every seeded partner's app (the second direct partner, Contoso, included).
            extra=simulator_partner_credentials(),
        )
    )
    checkout = create_checkout(settings)
    async with (
        fulfilment.router.lifespan_context(fulfilment),
        checkout.router.lifespan_context(checkout),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=checkout), base_url="http://checkout"
        ) as client,
    ):
        yield client, settings


def sim_state(customers: list[dict[str, Any]], domain: str) -> dict[str, Any] | None:
    """The simulator's record of the customer with `domain`, if any."""
    return next((c for c in customers if c["domain"] == domain), None)
