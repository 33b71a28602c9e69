"""Checkout under load: 64 customers walking the whole wizard, against a bare Redis-MULTI baseline.

    .venv/bin/python bench/checkout.py [--seconds 20] [--customers 64]

Starts Redis, a Kafka-compatible broker (Tansu), the catalog, the Partner Center simulator
(rate limit off) and one checkout process (`python -m nceflow.checkout`, relay inside), plus a
baseline process: a bare FastAPI endpoint doing one Redis MULTI (GET + SET + XADD) per request,
served with the same uvicorn settings. `--customers` simulated customers each walk the wizard
(new account: draft with cart, account, company profile, MCA, qualification, Buy) in a loop for
`--seconds`, then the same number of connections hammer the baseline for half as long.

Prints step requests/s, p50/p99 latency, the ratio of checkout's step rate to the baseline's
(goal ≥ 0.7), and the lag from commit (the event's CloudEvents `time`, set in the transaction)
to the record's timestamp on Kafka (goal p99 < 100 ms). Not run by tests.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from redis.asyncio import Redis

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings
from nceflow.devstack.processes import ManagedProcess, free_port, start_service, wait_healthy
from nceflow.devstack.servers import create_topics, start_broker, start_redis
from nceflow.runtime.serve import serve
from nceflow.runtime.settings import HttpServerSettings
from nceflow.schemas import topics
from nceflow.schemas.envelope import from_kafka

PLAN = "cfq7ttc0lh18-0001-p1y-monthly-us"
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
}


def baseline_app(redis_url: str) -> FastAPI:
    """One route doing what the cheapest wizard step must: GET, SET and XADD in one MULTI."""
    app = FastAPI()
    redis = Redis.from_url(redis_url)

    @app.put("/step/{draft_id}")
    async def step(draft_id: str) -> dict[str, str]:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.get(f"bench:draft:{{s}}:{draft_id}")
            pipe.set(f"bench:draft:{{s}}:{draft_id}", b"x" * 1500)
            pipe.xadd("bench:outbox:{s}", {"value": b"y" * 1200}, maxlen=10_000, approximate=True)
            await pipe.execute()
        return {"id": draft_id}

    return app


@dataclass
class Load:
    """Latencies of one load run, also per kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    def breakdown(self) -> str:
        """p50 per kind of request, to show where the time goes."""
        parts = []
        for kind, values in self.by_kind.items():
            failed = self.errors_by_kind.get(kind, 0)
            parts.append(
                f"{kind} {statistics.median(values) * 1000:.0f} ms"
                + (f" ({failed} errors)" if failed else "")
            )
        return "p50 per request: " + ", ".join(parts)

    def line(self, name: str) -> str:
        ordered = sorted(self.latencies)
        p50 = statistics.median(ordered) * 1000 if ordered else 0.0
        p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0
        return (
            f"{name:<10} {self.rate:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
            f"requests {len(ordered)}   errors {self.errors}"
        )

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def _timed(
    load: Load, call: Awaitable[httpx.Response], kind: str = "request"
) -> httpx.Response:
    started = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        # A dropped connection counts as an error, not as a served request.
        load.errors += 1
        load.errors_by_kind[kind] = load.errors_by_kind.get(kind, 0) + 1
        return httpx.Response(599, text=f"{type(exc).__name__}")
    elapsed = time.perf_counter() - started
    load.latencies.append(elapsed)
    load.by_kind.setdefault(kind, []).append(elapsed)
    if response.status_code >= 400:
        load.errors += 1
        load.errors_by_kind[kind] = load.errors_by_kind.get(kind, 0) + 1
    return response


async def walk(client: httpx.AsyncClient, token: str, load: Load, until: float, n: int) -> int:
    """One customer buying again and again until `until`; returns completed purchases."""
    headers = {"Authorization": f"Bearer {token}"}
    bought = 0
    while time.monotonic() < until:
        created = await _timed(
            load,
            client.post(
                "/v1/drafts", json={"items": [{"plan_id": PLAN, "quantity": 3}]}, headers=headers
            ),
            "draft+cart",
        )
        if created.status_code != 201:
            continue
        draft = created.json()["id"]
        steps = [
            ("account", {"kind": "new"}),
            (
                "company_profile",
                {
                    "company_name": "Acme",
                    "address_line1": "1 Main St",
                    "city": "Redmond",
                    "postal_code": "98052",
                    "country": "US",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": "ada@acme.example",
                    "phone": "+1 425 555 0100",
                    "domain_prefix": f"bench{n}x{bought}",
                },
            ),
            ("mca", MCA),
            ("qualification", {"qualification": "none"}),
        ]
        for step, data in steps:
            await _timed(
                load,
                client.put(f"/v1/drafts/{draft}/steps/{step}", json=data, headers=headers),
                step,
            )
        confirmed = await _timed(
            load,
            client.post(
                f"/v1/drafts/{draft}/confirm",
                json={"terms_accepted": True},
                headers={**headers, "Idempotency-Key": draft},
            ),
            "buy",
        )
        bought += confirmed.status_code == 202
    return bought


async def hammer(client: httpx.AsyncClient, load: Load, until: float) -> None:
    """Baseline load: one request after the other until `until`."""
    while time.monotonic() < until:
        await _timed(load, client.put(f"/step/{uuid.uuid4().hex}"))


async def commit_lag(bootstrap: str, topic: str, since_ms: int) -> list[float]:
    """Milliseconds from each event's commit (`time`) to its Kafka record timestamp."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    lags: list[float] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=2000, max_records=5000)
            if not batch:
                break
            for records in batch.values():
                for record in records:
                    assert record.value is not None
                    event = from_kafka(record.value)
                    if event.time is None or record.timestamp < since_ms:
                        continue
                    lags.append(record.timestamp - event.time.timestamp() * 1000)
    finally:
        await consumer.stop()
    return lags


async def run(
    seconds: float,
    customers: int,
    checkout_url: str,
    baseline_url: str,
    env: dict[str, str],
    settings: Settings,
) -> None:
    limits = httpx.Limits(max_connections=customers, max_keepalive_connections=customers)
    since_ms = int(time.time() * 1000)
    checkout = Load()
    async with httpx.AsyncClient(base_url=checkout_url, limits=limits, timeout=30) as client:
        started = time.monotonic()
        until = started + seconds
        tokens = [mint_dev_token(f"bench-{n}", "adatum-direct", settings) for n in range(customers)]
        bought = await asyncio.gather(
            *(walk(client, tokens[n], checkout, until, n) for n in range(customers))
        )
        checkout.seconds = time.monotonic() - started
    baseline = Load()
    async with httpx.AsyncClient(base_url=baseline_url, limits=limits, timeout=30) as client:
        started = time.monotonic()
        until = started + seconds / 2
        await asyncio.gather(*(hammer(client, baseline, until) for _ in range(customers)))
        baseline.seconds = time.monotonic() - started
    await asyncio.sleep(1.0)  # let the relay drain the last commits
    lags = sorted(
        await commit_lag(
            env["NCEFLOW_KAFKA_BOOTSTRAP_SERVERS"],
            env["NCEFLOW_TOPIC_PREFIX"] + topics.CHECKOUT_ORDER_EVENTS,
            since_ms,
        )
    )
    print(f"{customers} customers, {seconds:.0f} s against checkout, {seconds / 2:.0f} s baseline")
    print(checkout.line("checkout"))
    print("  " + checkout.breakdown())
    print(baseline.line("baseline"))
    print(f"purchases completed: {sum(bought)}  ({sum(bought) / checkout.seconds:.1f} Buy/s)")
    ratio = checkout.rate / baseline.rate if baseline.rate else 0.0
    print(f"ratio checkout/baseline: {ratio:.2f}  (goal >= 0.7)")
    if lags:
        p50 = statistics.median(lags)
        p99 = lags[int(len(lags) * 0.99) - 1]
        print(
            f"commit -> Kafka lag over {len(lags)} events: "
            f"p50 {p50:.1f} ms  p99 {p99:.1f} ms  (goal p99 < 100 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--customers", type=int, default=64)
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve(
            baseline_app(args.redis_url),
            HttpServerSettings(port=args.serve_baseline, log_level="WARNING"),
        )
        return

    logs = Path(tempfile.mkdtemp(prefix="nceflow-bench-checkout-"))
    procs: list[ManagedProcess] = []
    try:
        redis = start_redis(free_port(), log_path=logs / "redis.log")
        procs.append(redis)
        broker = start_broker(free_port(), log_path=logs / "tansu.log")
        procs.append(broker)
        prefix = "bench."
        asyncio.run(
            create_topics(broker.url, [prefix + t for t in topics.ALL_TOPICS], partitions=4)
        )
        sim = start_service(
            "nceflow.partner_center_sim",
            free_port(),
            {"NCEFLOW_PC_SIM_RATE_LIMIT_PER_MINUTE": "0", "NCEFLOW_PC_SIM_LOG_LEVEL": "WARNING"},
            port_variable="NCEFLOW_PC_SIM_PORT",
            log_path=logs / "sim.log",
        )
        procs.append(sim)
        catalog = start_service(
            "nceflow.catalog",
            free_port(),
            {"NCEFLOW_CATALOG_LOG_LEVEL": "WARNING"},
            port_variable="NCEFLOW_CATALOG_PORT",
            log_path=logs / "catalog.log",
        )
        procs.append(catalog)
        env = {
            "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS": broker.url,
            "NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE": "false",
            "NCEFLOW_TOPIC_PREFIX": prefix,
            "NCEFLOW_REDIS_URL": redis.url,
            "NCEFLOW_REDIS_KEY_PREFIX": "bench",
            "NCEFLOW_CATALOG_URL": catalog.url,
            "NCEFLOW_PARTNER_CENTER_BASE_URL": sim.url,
            "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL": sim.url,
            "NCEFLOW_CHECKOUT_PARTNER_CENTER_RATE_LIMIT_PER_MINUTE": "0",
            "NCEFLOW_CHECKOUT_LOG_LEVEL": "WARNING",
            "NCEFLOW_CHECKOUT_RELAY_BLOCK_MS": "50",
        }
        checkout = start_service(
            "nceflow.checkout",
            free_port(),
            env,
            port_variable="NCEFLOW_CHECKOUT_PORT",
            log_path=logs / "checkout.log",
        )
        procs.append(checkout)
        baseline_port = free_port()
        baseline = ManagedProcess(
            name="baseline",
            argv=[
                sys.executable,
                __file__,
                "--serve-baseline",
                str(baseline_port),
                "--redis-url",
                redis.url,
            ],
            port=baseline_port,
            log_path=logs / "baseline.log",
            url=f"http://127.0.0.1:{baseline_port}",
        ).start()
        procs.append(baseline)
        wait_healthy(baseline, "/docs")
        asyncio.run(run(args.seconds, args.customers, checkout.url, baseline.url, env, Settings()))
    finally:
        for proc in reversed(procs):
            proc.stop()


if __name__ == "__main__":
    main()
