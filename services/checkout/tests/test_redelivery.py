"""End-to-end delivery on checkout's side: an order fulfilment has said nothing about gets its
`OrderConfirmed` again (a new event id, the same content), with a wait that doubles up to its
cap, once per wait across replicas; fulfilment's progress resets the wait, its final word ends
the re-emits.

Real Redis and the real app (Buy through the API); the re-emits are driven by two
`OrderService` replicas over the same Redis with a clock of the test's own, so the waits are
exact without sleeping through them.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from redis.asyncio import Redis

from nceflow.checkout.adapters.redis_store import DraftStore, Keys
from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.context import AppContext
from nceflow.checkout.domain.order import RedeliveryPolicy
from nceflow.checkout.orders import OrderService
from nceflow.checkout.repository import OutboxEntry
from nceflow.checkout.settings import Settings
from nceflow.schemas import (
    FulfilmentStarted,
    FulfilmentStep,
    FulfilmentStepCompleted,
    OrderConfirmed,
    OrderPlaced,
    ProvisioningStatus,
)
from nceflow.schemas.base import OrderEvent
from nceflow.schemas.envelope import FULFILMENT_SOURCE, from_kafka, to_kafka
from nceflow.testing.checkout import seeded_user, sign_in_with_microsoft

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
}
POLICY = RedeliveryPolicy(first=timedelta(seconds=60), most=timedelta(seconds=200))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, start: datetime, seconds: float) -> None:
        self.now = start + timedelta(seconds=seconds)


async def _buy(client: httpx.AsyncClient, settings: Settings, account: str) -> str:
    headers = {"Authorization": f"Bearer {mint_dev_token(account, 'adatum-direct', settings)}"}
    draft = (
        await client.post(
            "/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 2}]}, headers=headers
        )
    ).json()
    for step, data in [
        ("account", {"kind": "existing"}),
        ("partner_relationship", {"authorization_done": "yes"}),
        ("tenant_domain", {"primary_domain": "contoso.onmicrosoft.com"}),
        ("tenant_sign_in", None),
        ("mca", MCA),
        ("qualification", {"qualification": "none"}),
    ]:
        if data is None:  # signed in as a user of the tenant, in the simulator
            response = await sign_in_with_microsoft(
                client, headers, draft["id"], seeded_user("contoso.onmicrosoft.com")
            )
        else:
            response = await client.put(
                f"/v1/drafts/{draft['id']}/steps/{step}", json=data, headers=headers
            )
        assert response.status_code == 200, response.text
    bought = await client.post(
        f"/v1/drafts/{draft['id']}/confirm",
        json={"terms_accepted": True},
        headers={**headers, "Idempotency-Key": draft["id"]},
    )
    assert bought.status_code == 202, bought.text
    return str(draft["id"])


async def _confirmations(redis: Redis, keys: Keys, order_id: str) -> list[OutboxEntry]:
    """The `OrderConfirmed` entries of one order in the outbox (the relay is off)."""
    found = []
    for shard in range(keys.shards):
        entries: Any = await redis.xrange(keys.outbox(shard))
        for _, fields in entries:
            entry = OutboxEntry.from_fields(fields)
            if entry.key == order_id.encode() and ".OrderConfirmed." in entry.event_type:
                found.append(entry)
    return found


def _received(event: OrderEvent) -> Any:
    return from_kafka(to_kafka(event, source=FULFILMENT_SOURCE).value)


async def test_quiet_order_is_confirmed_again_once_per_wait_across_replicas(
    settings: Settings, reset_sim: None, redis_url: str, redis_prefix: str
) -> None:
    # The app confirms with the test's policy but its own loop looks only once an hour: only the
    # test's replicas re-emit, on the test's clock.
    quiet = settings.model_copy(
        update={
            "relay_enabled": False,
            "redelivery_after": POLICY.first,
            "redelivery_max_wait": POLICY.most,
            "redelivery_interval_seconds": 3600.0,
        }
    )
    app = create_app(quiet)
    redis = Redis.from_url(redis_url)
    keys = Keys(redis_prefix)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://checkout"
        ) as client:
            before = datetime.now(UTC)
            order_id = await _buy(client, quiet, "quiet-buyer")
            after = datetime.now(UTC)
        context: AppContext = app.state.context
        # Buy happened somewhere in [before, after]; counting from `after` keeps every "not yet"
        # round before the due time and, the call taking far less than a second, every "now"
        # round after it.
        assert after - before < timedelta(seconds=1)
        bought_at = after
        clock = Clock()
        replicas = [
            OrderService(
                DraftStore(redis, keys, retention=timedelta(days=1)),
                context.orders._directory,
                redelivery=POLICY,
                clock=clock,
            )
            for _ in range(2)
        ]

        async def round_at(seconds: float) -> int:
            clock.at(bought_at, seconds)
            emitted = await asyncio.gather(*(replica.redeliver_due() for replica in replicas))
            return sum(emitted)

        first = await _confirmations(redis, keys, order_id)
        assert len(first) == 1
        # Nothing before the first wait; then once, whichever replica gets there first.
        assert await round_at(50) == 0
        assert await round_at(61) == 1
        assert await round_at(62) == 0
        # The second wait is twice the first (120 s from the re-emit at 61 s).
        assert await round_at(61 + 110) == 0
        assert await round_at(61 + 121) == 1
        # The third would be 240 s: capped at 200 s.
        assert await round_at(182 + 190) == 0
        assert await round_at(182 + 201) == 1

        sent = await _confirmations(redis, keys, order_id)
        assert len(sent) == 4
        assert len({entry.event_id for entry in sent}) == 4
        contents = [from_kafka(entry.value).data for entry in sent]
        assert all(isinstance(data, OrderConfirmed) for data in contents)
        assert all(data == contents[0] for data in contents)
        assert await context.store.awaiting_counts(clock.now) == (1, 1)

        # The first FulfilmentStarted is progress: the wait is the first one again, from then.
        correlation_id = contents[0].correlation_id
        started = FulfilmentStarted(order_id=order_id, correlation_id=correlation_id)
        clock.at(bought_at, 390)
        await replicas[0].apply_fulfilment_event(_received(started))
        assert await context.store.awaiting_counts(clock.now) == (1, 0)
        assert await round_at(390 + 59) == 0
        assert await round_at(390 + 61) == 1  # next wait 120 s: at 571
        # Fulfilment's answer to that re-emit, for a saga still waiting on Partner Center, is a
        # sign of life and not progress: the back-off goes on.
        again = FulfilmentStarted(order_id=order_id, correlation_id=correlation_id)
        clock.at(bought_at, 460)
        await replicas[1].apply_fulfilment_event(_received(again))
        assert await round_at(460 + 61) == 0  # a reset would re-emit here
        assert await round_at(451 + 121) == 1  # next wait 240 s, capped: at 772
        # A completed step is progress: the first wait again, counted from the step.
        clock.at(bought_at, 600)
        step = FulfilmentStepCompleted(
            order_id=order_id,
            correlation_id=correlation_id,
            step=FulfilmentStep.CUSTOMER_RESOLVED,
            customer_id="c0ffee00-0000-4000-8000-000000000001",
        )
        await replicas[0].apply_fulfilment_event(_received(step))
        assert await context.store.awaiting_counts(clock.now) == (1, 0)
        assert await round_at(600 + 59) == 0
        assert await round_at(600 + 61) == 1

        # The final word ends it all: no more re-emits, the kept OrderConfirmed is dropped.
        placed = OrderPlaced(
            order_id=order_id,
            correlation_id=correlation_id,
            customer_id="c0ffee00-0000-4000-8000-000000000001",
            order_ids=["pc-order-1"],
            provisioning=ProvisioningStatus.PENDING,
        )
        await replicas[1].apply_fulfilment_event(_received(placed))
        assert await round_at(10_000) == 0
        assert await context.store.awaiting_counts(clock.now) == (0, 0)
        shard = keys.shard_of("quiet-buyer")
        assert await redis.exists(keys.confirmed_event(shard, order_id)) == 0
        raw = await redis.get(keys.order(shard, order_id))
        assert raw is not None
        stored = json.loads(raw)
        assert stored["status"] == "placed"
    await redis.aclose()


async def test_readyz_and_metrics_count_orders_waiting_past_their_time(
    settings: Settings, reset_sim: None
) -> None:
    # The first wait is 0.3 s and the app re-emits by itself (every 0.1 s): the order is
    # overdue until fulfilment (not running here) says something.
    eager = settings.model_copy(
        update={"redelivery_after": timedelta(seconds=0.3), "redelivery_interval_seconds": 0.1}
    )
    app = create_app(eager)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://checkout"
        ) as client,
    ):
        ready = (await client.get("/readyz")).json()
        assert ready["orders_awaiting_fulfilment"] == 0
        await _buy(client, eager, "overdue-buyer")
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            ready = (await client.get("/readyz")).json()
            metrics = (await client.get("/metrics")).text
            reemits = re.search(r"^checkout_order_reemits_total (\S+)$", metrics, re.M)
            if ready["orders_overdue"] == 1 and reemits and float(reemits[1]) >= 1:
                break
            assert asyncio.get_running_loop().time() < deadline, (ready, metrics)
            await asyncio.sleep(0.05)
        assert ready["status"] == "ok"
        assert ready["orders_awaiting_fulfilment"] == 1
        assert "checkout_orders_overdue 1.0" in metrics
        assert "checkout_orders_awaiting_fulfilment 1.0" in metrics
