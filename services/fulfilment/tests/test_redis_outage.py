"""Redis goes away under load and comes back: no order is lost, none is placed twice, and the
service says it is not ready meanwhile.

The service runs as a real subprocess against a Redis server of this test's own (with an
append-only file, as in production), which is stopped by its pid while orders are in flight and
arriving, then started again on the same port and data.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from nceflow.devstack.processes import ManagedProcess, free_port, start_service
from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.servers import start_redis
from nceflow.devstack.topic_reader import TopicReader
from nceflow.schemas import FulfilmentStarted, OrderFailed, OrderPlaced
from nceflow.testing.fulfilment import (
    existing_tenant_order,
    fulfilment_env,
    publish_orders,
    sim_items,
)


def _placed(seen: TopicReader) -> set[str]:
    return {e.order_id for e in seen.events if isinstance(e, OrderPlaced)}


async def _ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def _until(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {within}s")
        await asyncio.sleep(0.1)


@pytest.mark.timeout(120)
async def test_redis_outage_loses_no_order_and_places_none_twice(
    sim: httpx.AsyncClient,
    env_kwargs: dict[str, Any],
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
    tmp_path: Path,
) -> None:
    port, data = free_port(), tmp_path / "redis"
    redis = start_redis(port, data_dir=data, log_path=tmp_path / "redis.log")
    env = fulfilment_env(**{**env_kwargs, "redis_url": f"redis://127.0.0.1:{port}/0"})
    # Slow Partner Center calls keep sagas in flight when Redis goes.
    rule = {"kind": "latency", "method": "*", "path": "/v1/*", "latencyMs": 50}
    (await sim.post("/_sim/faults", json=rule)).raise_for_status()
    service: ManagedProcess | None = None
    topic = kafka_topics.checkout_order_events
    first = [existing_tenant_order(f"ord-outage-a{i}") for i in range(15)]
    second = [existing_tenant_order(f"ord-outage-b{i}") for i in range(15)]
    wanted = {o.order_id for o in first + second}
    try:
        service = start_service(
            "nceflow.fulfilment",
            free_port(),
            env,
            port_variable="NCEFLOW_FULFILMENT_PORT",
            log_path=tmp_path / "fulfilment.log",
        )
        async with httpx.AsyncClient(base_url=service.url, timeout=5) as http:
            await publish_orders(kafka_bootstrap, topic, first)
            await events.wait_for(lambda seen: len(_placed(seen) & wanted) >= 3, within=30)
            redis.stop()  # SIGTERM by pid: Redis gone mid-stream
            await publish_orders(kafka_bootstrap, topic, second)
            await _until(lambda: _not(_ready(http)), 15, "/readyz saying not ready")
            down = (await http.get("/readyz")).json()
            redis = start_redis(port, data_dir=data, log_path=tmp_path / "redis-again.log")
            await events.wait_for(lambda seen: _placed(seen) >= wanted, within=60)
            await _until(lambda: _ready(http), 15, "/readyz saying ready again")
    finally:
        if service is not None:
            service.stop()
        redis.stop()
    print(f"\nwhile Redis was down /readyz said: {down}")
    assert down["status"] != "ok"
    failed = [e for e in events.events if isinstance(e, OrderFailed)]
    assert failed == []
    customers = await sim_items(sim, "/_sim/customers")
    contoso = next(c for c in customers if c["domain"] == "contoso.onmicrosoft.com")
    orders = await sim_items(sim, f"/_sim/customers/{contoso['id']}/orders")
    print(f"orders placed: {len(orders)} of {len(wanted)}")
    assert len(orders) == len(wanted)  # none lost, none twice
    starts = [e.order_id for e in events.events if isinstance(e, FulfilmentStarted)]
    assert sorted(set(starts)) == sorted(wanted)


async def _not(ready: Any) -> bool:
    return not await ready
