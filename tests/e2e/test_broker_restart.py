"""End to end across a broker that forgets: the embedded broker is stopped and started empty (as
`make dev` after Ctrl-C does, or real Kafka with a recreated topic) while an order is at each
point of its way, and every order still ends `placed` with exactly one Partner Center order.

Checkout re-emits `OrderConfirmed` for an order fulfilment has gone quiet about (short waits
here); fulfilment runs a new order, and answers one it knows with where its saga stands. Each
test has a broker of its own, on a port of its own, so restarting it touches no other test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from nceflow.checkout.app import create_app as create_checkout
from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.devstack.processes import ManagedProcess, free_port
from nceflow.devstack.servers import create_topics, start_broker
from nceflow.devstack.stack import simulator_partner_credentials
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import create_app as create_fulfilment
from nceflow.schemas import FulfilmentStarted, OrderConfirmed, OrderPlaced, topics
from nceflow.testing.checkout import (
    WizardPath,
    buy_through_the_wizard,
    checkout_settings,
    wait_until_placed,
)
from nceflow.testing.fulfilment import (
    fulfilment_settings,
    sim_items,
    sim_requests,
)

EXISTING = WizardPath("existing", "e2e-r1", "adatum-direct", "existing", "contoso.onmicrosoft.com")
NEW = WizardPath("new", "e2e-r2", "adatum-direct", "new", "e2erestart.onmicrosoft.com")
REEMIT_AFTER = timedelta(seconds=1)
"""Checkout's first wait for fulfilment's news (60 s by default)."""
WITHIN = 40.0
"""Longest a recovery may take: a few re-emit waits (1 s, 2 s, 2 s…) and a saga run."""


class OwnBroker:
    """An embedded broker of one test's own, which the test restarts empty on the same port."""

    def __init__(self, log_dir: Path, prefix: str) -> None:
        self.port = free_port()
        self.prefix = prefix
        self._log_dir = log_dir
        self._starts = 0
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Start it with nothing in it, and create the contract's topics (as `nceflow dev up`)."""
        self._starts += 1
        log = self._log_dir / f"tansu-{self._starts}.log"
        self._process = start_broker(self.port, log_path=log)
        await create_topics(self.url, [self.prefix + name for name in topics.ALL_TOPICS], 4)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    async def restart_empty(self) -> None:
        """Stop it (its records and group offsets are gone: it keeps them in memory), start it."""
        self.stop()
        await self.start()


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[OwnBroker]:
    own = OwnBroker(tmp_path, f"t{uuid.uuid4().hex[:12]}.")
    await own.start()
    try:
        yield own
    finally:
        own.stop()


@dataclass(frozen=True)
class Stack:
    """What a test needs to start checkout and fulfilment against its broker."""

    broker: OwnBroker
    redis_url: str
    redis_prefix: str
    catalog_url: str
    sim_url: str

    def checkout(self, *, consume: bool = True) -> CheckoutSettings:
        return checkout_settings(
            kafka_bootstrap=self.broker.url,
            enable_idempotence=False,  # Tansu has no idempotent producer
            topic_prefix=self.broker.prefix,
            redis_url=self.redis_url,
            redis_prefix=self.redis_prefix,
            catalog_url=self.catalog_url,
            sim_url=self.sim_url,
            consumer_enabled=consume,
            redelivery_after=REEMIT_AFTER,
            redelivery_max_wait=2 * REEMIT_AFTER,
            redelivery_interval_seconds=0.2,
        )

    @asynccontextmanager
    async def running(
        self, *, fulfilment: bool = True, consume: bool = True
    ) -> AsyncIterator[tuple[httpx.AsyncClient, CheckoutSettings]]:
        """Checkout (its API client and settings) and, if asked, fulfilment, with their real
        lifespans; both stop (gracefully) on the way out."""
        settings = self.checkout(consume=consume)
        async with AsyncExitStack() as stack:
            if fulfilment:
                app = create_fulfilment(
                    fulfilment_settings(
                        kafka_bootstrap=self.broker.url,
                        enable_idempotence=False,
                        topic_prefix=self.broker.prefix,
                        redis_url=self.redis_url,
                        redis_prefix=self.redis_prefix,
                        sim_url=self.sim_url,
                        extra=simulator_partner_credentials(),
                    )
                )
                await stack.enter_async_context(app.router.lifespan_context(app))
            checkout = create_checkout(settings)
            await stack.enter_async_context(checkout.router.lifespan_context(checkout))
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=checkout), base_url="http://checkout"
                )
            )
            yield client, settings

    def events(self, topic: str) -> TopicReader:
        """A reader of one of the contract's topics on this broker, from its start."""
        return TopicReader(self.broker.url, self.broker.prefix + topic)


@pytest.fixture
async def own_stack(
    broker: OwnBroker, redis_url: str, redis_prefix: str, catalog_url: str, sim: httpx.AsyncClient
) -> Stack:
    return Stack(broker, redis_url, redis_prefix, catalog_url, str(sim.base_url).rstrip("/"))


async def status(client: httpx.AsyncClient, order_id: str, headers: dict[str, str]) -> str:
    response = await client.get(f"/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def wait_for_status(
    client: httpx.AsyncClient, order_id: str, headers: dict[str, str], wanted: str
) -> None:
    deadline = time.monotonic() + 10
    while (seen := await status(client, order_id, headers)) != wanted:
        assert time.monotonic() < deadline, f"order {order_id} still {seen}, not {wanted}"
        await asyncio.sleep(0.05)


async def orders_of(sim: httpx.AsyncClient, path: WizardPath) -> list[dict[str, Any]]:
    tenant = next(
        (c for c in await sim_items(sim, "/_sim/customers") if c["domain"] == path.domain), None
    )
    return [] if tenant is None else await sim_items(sim, f"/_sim/customers/{tenant['id']}/orders")


async def assert_placed_once(
    stack: Stack,
    sim: httpx.AsyncClient,
    path: WizardPath,
    order_id: str,
    headers: dict[str, str],
) -> None:
    """After the empty restart: the order ends placed, with exactly one Partner Center order."""
    async with stack.running() as (client, _):
        order = await wait_until_placed(client, order_id, headers, within=WITHIN)
    placed = await orders_of(sim, path)
    assert len(placed) == 1, placed
    assert order["partner_center"]["order_ids"] == [placed[0]["id"]]
    checkouts = await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout")
    assert len([r for r in checkouts if (r["status"] or 500) < 300]) == 1, checkouts


@pytest.mark.timeout(120)
async def test_order_confirmed_but_never_consumed_is_placed_after_an_empty_restart(
    own_stack: Stack, sim: httpx.AsyncClient
) -> None:
    """The relay published `OrderConfirmed` (and let go of it), fulfilment was not running, the
    broker forgot: checkout's re-emit brings the order to fulfilment."""
    async with own_stack.running(fulfilment=False) as (client, settings):
        order_id, headers = await buy_through_the_wizard(client, settings, NEW)
        async with own_stack.events(topics.CHECKOUT_ORDER_EVENTS) as published:
            await published.wait_for(
                lambda seen: any(isinstance(e, OrderConfirmed) for e in seen.of(order_id))
            )
        assert await status(client, order_id, headers) == "confirmed"
    await own_stack.broker.restart_empty()
    await assert_placed_once(own_stack, sim, NEW, order_id, headers)


@pytest.mark.timeout(120)
async def test_order_in_progress_is_placed_once_after_an_empty_restart(
    own_stack: Stack, sim: httpx.AsyncClient
) -> None:
    """Fulfilment started the order (checkout shows `processing`) and is mid-saga, held up by
    Partner Center refusing to make carts for now, when everything stops and the broker forgets."""
    held_up = {"kind": "503", "method": "POST", "path": "/v1/customers/*/carts"}
    (await sim.post("/_sim/faults", json=held_up)).raise_for_status()
    async with own_stack.running() as (client, settings):
        order_id, headers = await buy_through_the_wizard(client, settings, EXISTING)
        async with own_stack.events(topics.FULFILMENT_ORDER_EVENTS) as fulfilment_events:
            await fulfilment_events.wait_for(
                lambda seen: any(isinstance(e, FulfilmentStarted) for e in seen.of(order_id))
            )
        await wait_for_status(client, order_id, headers, "processing")
        assert await orders_of(sim, EXISTING) == []
    (await sim.delete("/_sim/faults")).raise_for_status()
    await own_stack.broker.restart_empty()
    await assert_placed_once(own_stack, sim, EXISTING, order_id, headers)


@pytest.mark.timeout(120)
async def test_order_placed_in_partner_center_but_not_heard_is_placed_after_an_empty_restart(
    own_stack: Stack, sim: httpx.AsyncClient
) -> None:
    """Fulfilment placed the order and published `OrderPlaced`, but checkout had not read it
    when the broker forgot: the re-emit is answered from the saga, nothing is placed again."""
    async with own_stack.running(consume=False) as (client, settings):
        order_id, headers = await buy_through_the_wizard(client, settings, EXISTING)
        async with own_stack.events(topics.FULFILMENT_ORDER_EVENTS) as fulfilment_events:
            await fulfilment_events.wait_for(
                lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of(order_id))
            )
        assert await status(client, order_id, headers) == "confirmed"
    assert len(await orders_of(sim, EXISTING)) == 1
    await own_stack.broker.restart_empty()
    await assert_placed_once(own_stack, sim, EXISTING, order_id, headers)
