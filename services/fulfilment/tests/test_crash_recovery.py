"""SIGKILL the fulfilment process in the middle of each saga step and restart it: every order is
still placed once, with one customer, one cart and one order in the simulator. And a graceful
stop (SIGTERM) hands its in-flight orders straight back to the group.

The kill lands at the worst moment: Partner Center has applied the step's call but the answer
never reached us (the simulator's `lost_response` fault holds it back), so the restarted process
must recognise work it cannot remember doing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from nceflow.devstack.processes import ManagedProcess, free_port, start_service
from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.ops import status
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import FulfilmentStarted, OrderPlaced
from nceflow.testing.fulfilment import (
    existing_tenant_order,
    new_tenant_order,
    publish_orders,
)

# (name, the call that is cut off, how to see that Partner Center applied it)
Probe = Callable[[httpx.AsyncClient, str], Awaitable[bool]]


async def _customer(sim: httpx.AsyncClient, domain: str) -> dict[str, Any] | None:
    items = (await sim.get("/_sim/customers")).json()["items"]
    return next((c for c in items if c["domain"] == domain), None)


async def _created(sim: httpx.AsyncClient, domain: str) -> bool:
    return await _customer(sim, domain) is not None


async def _mca(sim: httpx.AsyncClient, domain: str) -> bool:
    customer = await _customer(sim, domain)
    return bool(customer and customer["mcaAccepted"])


async def _soe(sim: httpx.AsyncClient, domain: str) -> bool:
    customer = await _customer(sim, domain)
    return bool(customer and customer["qualifications"])


async def _listed(sim: httpx.AsyncClient, domain: str, kind: str) -> list[dict[str, Any]]:
    customer = await _customer(sim, domain)
    if customer is None:
        return []
    items: list[dict[str, Any]] = (
        await sim.get(f"/_sim/customers/{customer['id']}/{kind}")
    ).json()["items"]
    return items


async def _cart(sim: httpx.AsyncClient, domain: str) -> bool:
    return bool(await _listed(sim, domain, "carts"))


async def _ordered(sim: httpx.AsyncClient, domain: str) -> bool:
    return bool(await _listed(sim, domain, "orders"))


STEPS: list[tuple[str, str, str, Probe]] = [
    ("create_customer", "POST", "/v1/customers", _created),
    ("attest_mca", "POST", "/v1/customers/*/agreements", _mca),
    ("add_qualification", "POST", "/v1/customers/*/qualifications", _soe),
    ("create_cart", "POST", "/v1/customers/*/carts", _cart),
    ("check_out", "POST", "/v1/customers/*/carts/*/checkout", _ordered),
]


async def _until(condition: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {within}s")
        await asyncio.sleep(0.05)


async def _fault_hits(sim: httpx.AsyncClient) -> int:
    body = (await sim.get("/_sim/faults")).json()
    rules = body["items"] if isinstance(body, dict) else body
    return sum(int(r["hits"]) for r in rules)


@pytest.mark.timeout(150)
async def test_sigkill_in_each_step_then_restart_places_each_order_once(
    sim: httpx.AsyncClient,
    fulfilment_env_vars: dict[str, str],
    settings: Settings,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
    tmp_path: Path,
) -> None:
    env = {
        **fulfilment_env_vars,
        # A dead process's group membership, lease and claims expire quickly in this test.
        "NCEFLOW_FULFILMENT_CONSUMER_SESSION_TIMEOUT_MS": "2000",
        "NCEFLOW_FULFILMENT_LEASE_TTL_SECONDS": "1",
        "NCEFLOW_FULFILMENT_VISIBILITY_TIMEOUT_SECONDS": "1.5",
    }
    log = tmp_path / "fulfilment.log"

    def start() -> ManagedProcess:
        return start_service(
            "nceflow.fulfilment",
            free_port(),
            env,
            port_variable="NCEFLOW_FULFILMENT_PORT",
            log_path=log,
        )

    process = start()
    kills: list[str] = []
    try:
        for index, (step, method, path, applied) in enumerate(STEPS):
            (await sim.delete("/_sim/faults")).raise_for_status()
            rule = {"kind": "lost_response", "method": method, "path": path, "count": 1}
            (await sim.post("/_sim/faults", json={**rule, "hangSeconds": 10})).raise_for_status()
            order_id, domain = f"ord-kill-{index}", f"killstep{index}"
            order = new_tenant_order(order_id, domain, soe=True)
            await publish_orders(kafka_bootstrap, kafka_topics.checkout_order_events, [order])

            async def cut_off() -> bool:
                return await _fault_hits(sim) == 1

            await _until(cut_off, 30, f"the {step} call")
            await _until(
                lambda: applied(sim, f"{domain}.onmicrosoft.com"),  # noqa: B023
                10,
                f"{step} applied",
            )
            process.kill()  # SIGKILL: no shutdown, the answer is never read
            kills.append(step)
            saga = await status(order_id, settings)
            assert saga is not None
            assert not saga.order_ids  # the killed process had not recorded the order
            restarted = time.monotonic()
            process = start()
            await events.wait_for(
                lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of(order_id)),  # noqa: B023
                within=40,
            )
            print(f"\n{step}: placed {time.monotonic() - restarted:.1f}s after the restart")
    finally:
        process.stop()

    assert kills == [s[0] for s in STEPS]
    for index in range(len(STEPS)):
        domain = f"killstep{index}.onmicrosoft.com"
        customers: list[dict[str, Any]] = (await sim.get("/_sim/customers")).json()["items"]
        assert [c["domain"] for c in customers].count(domain) == 1
        assert await _mca(sim, domain)
        mine = next(c for c in customers if c["domain"] == domain)
        assert mine["qualifications"] == ["StateOwnedEntity"]
        carts = await _listed(sim, domain, "carts")
        orders = await _listed(sim, domain, "orders")
        print(f"\nkilled in {STEPS[index][0]}: carts={len(carts)} orders={len(orders)}")
        assert len(carts) == 1
        assert len(orders) == 1
        started = [e for e in events.of(f"ord-kill-{index}") if isinstance(e, FulfilmentStarted)]
        assert len(started) == 1


@pytest.mark.timeout(90)
async def test_sigterm_hands_in_flight_orders_back_at_once(
    sim: httpx.AsyncClient,
    fulfilment_env_vars: dict[str, str],
    settings: Settings,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
    tmp_path: Path,
) -> None:
    """A stopping process releases each running saga's lease and makes it due now: the next
    process resumes it at once, not after the lease TTL or the claim's visibility timeout
    (both 60 s here, longer than the test may take)."""
    env = {
        **fulfilment_env_vars,
        "NCEFLOW_FULFILMENT_LEASE_TTL_SECONDS": "60",
        "NCEFLOW_FULFILMENT_VISIBILITY_TIMEOUT_SECONDS": "60",
    }

    def start(name: str) -> ManagedProcess:
        return start_service(
            "nceflow.fulfilment",
            free_port(),
            env,
            port_variable="NCEFLOW_FULFILMENT_PORT",
            log_path=tmp_path / f"{name}.log",
        )

    # The customer lookup (the saga's first call) hangs long enough to stop the process in it.
    rule = {"kind": "latency", "method": "GET", "path": "/v1/customers", "count": 1}
    (await sim.post("/_sim/faults", json={**rule, "latencyMs": 30_000})).raise_for_status()
    first = start("first")
    second: ManagedProcess | None = None
    redis = Redis.from_url(settings.redis.url)
    try:
        await publish_orders(
            kafka_bootstrap, kafka_topics.checkout_order_events, [existing_tenant_order("ord-term")]
        )
        await _until(lambda: _fault_hits_are(sim, 1), 30, "the customer lookup")
        first.stop()  # SIGTERM: a graceful stop in the middle of the lookup
        schedule = f"{settings.redis.key_prefix}:fulfilment:schedule"
        due_ms = await redis.zscore(schedule, "ord-term")
        assert due_ms is not None
        assert due_ms <= time.time() * 1000  # due now, not 60 s after the claim
        assert await redis.exists(f"{settings.redis.key_prefix}:fulfilment:lease:ord-term") == 0
        restarted = time.monotonic()
        second = start("second")
        await events.wait_for(
            lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of("ord-term")), within=20
        )
        print(f"\nhanded back: placed {time.monotonic() - restarted:.1f}s after the restart")
    finally:
        await redis.aclose()
        first.stop()
        if second is not None:
            second.stop()
    contoso = await _customer(sim, "contoso.onmicrosoft.com")
    assert contoso is not None
    assert len(await _listed(sim, "contoso.onmicrosoft.com", "orders")) == 1
    started = [e for e in events.of("ord-term") if isinstance(e, FulfilmentStarted)]
    assert len(started) == 1


async def _fault_hits_are(sim: httpx.AsyncClient, hits: int) -> bool:
    return await _fault_hits(sim) == hits
