"""Fixtures of checkout's tests: the real catalog and simulator, Redis, Kafka, and the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from nceflow.checkout.adapters.redis_store import Keys
from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings
from nceflow.devstack.topic_reader import TopicReader
from nceflow.testing.checkout import checkout_settings, seeded_user, sign_in_with_microsoft


@pytest.fixture
def settings(
    redis_url: str,
    redis_prefix: str,
    kafka_server: Any,
    kafka_topics: Any,
    catalog_url: str,
    partner_center_sim: str,
) -> Settings:
    """Checkout settings pointing at this test's servers, keys and topics."""
    return checkout_settings(
        kafka_bootstrap=kafka_server.bootstrap_servers,
        enable_idempotence=kafka_server.supports_idempotence,
        topic_prefix=kafka_topics.prefix,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        catalog_url=catalog_url,
        sim_url=partner_center_sim,
        # Stopping a Kafka consumer takes seconds: only the tests of the orders read model run it.
        consumer_enabled=False,
    )


@pytest.fixture
def reset_sim(partner_center_sim: str) -> None:
    """Start from the simulator's seed."""
    httpx.post(f"{partner_center_sim}/_sim/reset").raise_for_status()


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` with its lifespan (relay, consumer, expiry) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://checkout") as client:
            yield client


@pytest.fixture
def run_app() -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """`async with run_app(app) as client:` runs `app` with its lifespan."""
    return running


@pytest.fixture
async def client(settings: Settings, reset_sim: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a running checkout app."""
    async with running(create_app(settings)) as client:
        yield client


class Customer:
    """One marketplace account walking the wizard through the API."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings, account: str, reseller: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {mint_dev_token(account, reseller, settings)}"}

    async def start(self, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/v1/drafts", json={"items": items} if items else None, headers=self.headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def get(self, draft_id: str) -> httpx.Response:
        return await self.client.get(f"/v1/drafts/{draft_id}", headers=self.headers)

    async def put(
        self, draft_id: str, step: str, data: dict[str, Any], *, if_match: str | None = None
    ) -> httpx.Response:
        headers = dict(self.headers)
        if if_match is not None:
            headers["If-Match"] = if_match
        return await self.client.put(
            f"/v1/drafts/{draft_id}/steps/{step}", json=data, headers=headers
        )

    async def save(self, draft_id: str, step: str, data: dict[str, Any]) -> dict[str, Any]:
        response = await self.put(draft_id, step, data)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def name_tenant(self, draft_id: str, domain: str) -> dict[str, Any]:
        """Save the tenant domain and, when asked, sign in with Microsoft as its seeded user."""
        draft = await self.save(draft_id, "tenant_domain", {"primary_domain": domain})
        if draft["current_step"] != "tenant_sign_in":
            return draft
        signed = await sign_in_with_microsoft(
            self.client, self.headers, draft_id, seeded_user(domain)
        )
        assert signed.status_code == 200, signed.text
        body: dict[str, Any] = signed.json()
        return body

    async def buy(self, draft_id: str, key: str, terms: bool = True) -> httpx.Response:
        return await self.client.post(
            f"/v1/drafts/{draft_id}/confirm",
            json={"terms_accepted": terms},
            headers={**self.headers, "Idempotency-Key": key},
        )


@pytest.fixture
def customer(client: httpx.AsyncClient, settings: Settings) -> Any:
    """`customer(account, reseller)` makes a `Customer` of the running app."""

    def make(account: str = "acme", reseller: str = "adatum-direct") -> Customer:
        return Customer(client, settings, account, reseller)

    return make


@pytest.fixture
async def checkout_events(kafka_bootstrap: str, kafka_topics: Any) -> AsyncIterator[TopicReader]:
    """Everything published on this test's checkout topic."""
    async with TopicReader(kafka_bootstrap, kafka_topics.checkout_order_events) as reader:
        yield reader


@pytest.fixture
async def outbox_drained(redis_url: str, redis_prefix: str) -> AsyncIterator[Callable[[], Any]]:
    """`await outbox_drained()` waits until the relay has published every outbox entry."""
    redis = Redis.from_url(redis_url)
    keys = Keys(redis_prefix)

    async def drained() -> None:
        for _ in range(300):
            lengths = [await redis.xlen(keys.outbox(shard)) for shard in range(keys.shards)]
            if not any(lengths):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the outbox was not drained")

    yield drained
    await redis.aclose()
