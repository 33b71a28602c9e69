"""Fulfilment throughput against the Partner Center simulator, through a real fulfilment process.

    .venv/bin/python bench/fulfilment.py [--orders 600] [--limited-seconds 60] [--concurrency 64]

Starts Tansu, redis-server, the simulator and `python -m nceflow.fulfilment` (all on free
loopback ports, stopped by pid at the end), then runs two phases with orders for the seeded
Contoso tenant (find customer, relationship, MCA on record, cart, checkout, follow the order):

1. Unthrottled, zero latency: `--orders` `OrderConfirmed` published at once; prints orders/s
   from the first publish to the last `OrderPlaced`, p50/p99 from `OrderConfirmed` to
   `OrderPlaced` (their CloudEvents times), and the ratio to a baseline measured in the same
   run: the same Partner Center calls made directly with `PartnerCenterClient` at the same
   concurrency, without Kafka, Redis or the saga (goal: >= 100 orders/s). Also the CPU each
   process spent per order (fulfilment, simulator, Tansu, Redis, this bench), which other load
   on the machine does not distort, the capacity it implies, and the fulfilment process's
   memory (resident when ready, its peak through phase 1, after it). Then orders one by one
   at half that rate for `--paced-seconds`: p50/p99 publish -> `OrderPlaced` without a queue
   (the burst's figures are mostly time spent waiting in it).
2. Simulator throttled at 500 requests/minute per partner (the client limiter at the same
   rate): orders placed in `--limited-seconds` against the bound the limit allows
   (500 / requests per order, measured from the simulator's request log), counted after a
   warm-up that spends the client's initial burst, and how many 429s reached the saga as
   failures (goal: >= 0.9 of the bound, zero failures).

Bounded to about `--limited-seconds` + `--paced-seconds` + 60 s. Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from nceflow.devstack.processes import LOOPBACK, ManagedProcess, free_port, start_service
from nceflow.devstack.servers import create_topics, start_broker, start_redis
from nceflow.partner_center import Cart, CartLineItem, PartnerCenterClient
from nceflow.schemas import OrderFailed, OrderPlaced, topics
from nceflow.schemas.envelope import CHECKOUT_SOURCE, from_kafka, to_kafka
from nceflow.testing.fulfilment import existing_tenant_order, fulfilment_env, publish_orders
from nceflow.testing.partner_center import partner_settings

# Run as `python bench/fulfilment.py`: make the repository root importable for `bench._proc`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._proc import cpu_seconds, peak_rss_mib, rss_mib

LIMIT_PER_MINUTE = 500


class Collector:
    """Reads the fulfilment topic; remembers when each order was placed (CloudEvents time)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
        )
        self.placed: dict[str, float] = {}
        self.failed: list[OrderFailed] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _read(self) -> None:
        async for record in self._consumer:
            received = from_kafka(record.value or b"")
            event = received.data
            if isinstance(event, OrderPlaced) and event.order_id not in self.placed:
                assert received.time is not None
                self.placed[event.order_id] = received.time.timestamp()
            elif isinstance(event, OrderFailed):
                self.failed.append(event)

    async def wait(self, order_ids: set[str], deadline: float) -> None:
        while time.monotonic() < deadline:
            if order_ids <= self.placed.keys():
                return
            await asyncio.sleep(0.05)


async def baseline(sim_url: str, orders: int, concurrency: int) -> float:
    """Orders/s doing the saga's Partner Center calls directly (no Kafka, Redis, saga)."""
    settings = partner_settings(sim_url, "direct", max_connections=concurrency)
    order = existing_tenant_order("baseline")
    line = order.items[0]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(orders):
        queue.put_nowait(i)
    async with PartnerCenterClient(settings) as pc:

        async def one() -> None:
            cid = str(uuid.uuid4())
            (customer,) = await pc.find_customers_by_domain(
                "contoso.onmicrosoft.com", correlation_id=cid
            )
            assert customer.id is not None
            await pc.get_customer(customer.id, correlation_id=cid)
            await pc.list_customer_agreements(customer.id, correlation_id=cid)
            cart = await pc.create_cart(
                customer.id,
                Cart(
                    line_items=[
                        CartLineItem(
                            id=0,
                            catalog_item_id=line.catalog_item_id,
                            quantity=line.quantity,
                            billing_cycle=line.billing_cycle.value,
                            term_duration=line.term.value,
                        )
                    ]
                ),
                correlation_id=cid,
            )
            assert cart.id is not None
            result = await pc.checkout_cart(customer.id, cart.id, correlation_id=cid)
            if (result.orders[0].status or "").lower() != "completed":
                # Like the saga: follow the order only when the checkout did not say it is done.
                await pc.get_order(customer.id, result.orders[0].id, correlation_id=cid)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return orders / (time.perf_counter() - started)


async def phase_unthrottled(
    bootstrap: str, topic: str, collector: Collector, orders: int
) -> tuple[float, list[float]]:
    batch = [existing_tenant_order(f"bench-u-{i:05d}") for i in range(orders)]
    confirmed_at = time.time()
    started = time.monotonic()
    await publish_orders(bootstrap, topic, batch)
    wanted = {o.order_id for o in batch}
    await collector.wait(wanted, time.monotonic() + 120)
    placed = [collector.placed[o] for o in wanted if o in collector.placed]
    if len(placed) < len(wanted):
        print(f"  only {len(placed)}/{len(wanted)} placed within 120 s", file=sys.stderr)
    elapsed = max(placed) - confirmed_at if placed else time.monotonic() - started
    latencies = sorted(p - confirmed_at for p in placed)
    return len(placed) / elapsed, latencies


async def phase_paced(
    bootstrap: str, topic: str, collector: Collector, rate: float, seconds: float
) -> tuple[int, list[float]]:
    """Orders published one by one at `rate` per second for `seconds` (below saturation, so no
    queue forms); returns how many were sent and each one's publish -> `OrderPlaced` time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    sent: dict[str, float] = {}
    try:
        started = time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            order = existing_tenant_order(f"bench-p-{i:05d}")
            record = to_kafka(order, source=CHECKOUT_SOURCE)
            sent[order.order_id] = time.time()
            await producer.send(topic, value=record.value, key=record.key, headers=record.headers)
        await producer.flush()
    finally:
        await producer.stop()
    await collector.wait(set(sent), time.monotonic() + 60)
    latencies = sorted(collector.placed[o] - t for o, t in sent.items() if o in collector.placed)
    return len(sent), latencies


def percentiles(latencies: list[float]) -> str:
    """`p50 … ms, p99 … ms` of sorted seconds."""
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"


async def phase_limited(
    bootstrap: str,
    topic: str,
    collector: Collector,
    sim: httpx.AsyncClient,
    seconds: float,
    warmup: float,
) -> tuple[int, float, int, float]:
    """Returns (orders placed after the warm-up, requests per placed order, 429s answered,
    API requests per minute the simulator admitted after the warm-up).

    The warm-up lets the client's token bucket spend its initial burst (a tenth of the
    per-minute rate), which would otherwise flatter a short window."""
    # More orders than the limit allows in the window, so the process is never idle.
    batch = [existing_tenant_order(f"bench-l-{i:05d}") for i in range(int(seconds * 2) + 50)]
    correlation = {o.order_id: o.correlation_id for o in batch}
    (await sim.delete("/_sim/requests")).raise_for_status()
    window_start = time.time()
    await publish_orders(bootstrap, topic, batch)
    await asyncio.sleep(max(0.0, window_start + seconds - time.time()))
    counted_from, until = window_start + warmup, window_start + seconds
    done = [o for o in correlation if counted_from <= collector.placed.get(o, 0) <= until]
    log: list[dict[str, Any]] = (await sim.get("/_sim/requests")).json()["items"]
    api = [r for r in log if r["path"].startswith("/v1/")]
    throttled = sum(1 for r in api if r.get("status") == 429)
    in_window = [r for r in api if r.get("status") != 429 and counted_from <= r["at"] <= until]
    admitted_per_minute = len(in_window) / (until - counted_from) * 60
    per_correlation: dict[str, int] = {}
    for entry in api:
        key = entry.get("msCorrelationId") or entry.get("ms_correlation_id")
        if key and entry.get("status") != 429:
            per_correlation[key] = per_correlation.get(key, 0) + 1
    counts = [per_correlation.get(correlation[o], 0) for o in done]
    per_order = statistics.mean(counts) if counts else float("nan")
    return len(done), per_order, throttled, admitted_per_minute


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-fulfilment-"))
    procs: list[ManagedProcess] = []
    try:
        broker = start_broker(free_port(), log_path=work / "tansu.log")
        procs.append(broker)
        redis = start_redis(free_port(), log_path=work / "redis.log")
        procs.append(redis)
        sim_proc = start_service(
            "nceflow.partner_center_sim",
            free_port(),
            {"NCEFLOW_PC_SIM_HOST": LOOPBACK, "NCEFLOW_PC_SIM_REQUEST_LOG_SIZE": "100000"},
            port_variable="NCEFLOW_PC_SIM_PORT",
            log_path=work / "sim.log",
        )
        procs.append(sim_proc)
        bootstrap = broker.url.removeprefix("tcp://")
        prefix = f"bench{uuid.uuid4().hex[:6]}."
        await create_topics(bootstrap, [prefix + t for t in topics.ALL_TOPICS], partitions=4)
        async with httpx.AsyncClient(base_url=sim_proc.url, timeout=30) as sim:
            config = {"rate_limit_per_minute": 0, "order_completion_seconds": 0}
            (await sim.patch("/_sim/config", json=config)).raise_for_status()
            base = await baseline(sim_proc.url, min(args.orders, 300), args.concurrency)
            env = fulfilment_env(
                kafka_bootstrap=bootstrap,
                enable_idempotence=False,
                topic_prefix=prefix,
                redis_url=redis.url,
                redis_prefix="bench",
                sim_url=sim_proc.url,
                extra={
                    "NCEFLOW_FULFILMENT_MAX_IN_FLIGHT": str(args.concurrency),
                    "NCEFLOW_PARTNER_CENTER_READ_TIMEOUT_SECONDS": "30",
                    "NCEFLOW_PARTNER_CENTER_RATE_LIMIT_PER_MINUTE": "0",
                    "NCEFLOW_PARTNER_CENTER_MAX_ATTEMPTS": "10",
                    "NCEFLOW_PARTNER_CENTER_RETRY_BUDGET_SECONDS": "120",
                    "NCEFLOW_FULFILMENT_FOLLOW_POLL_SECONDS": "1",
                    "NCEFLOW_FULFILMENT_LOG_LEVEL": "WARNING",
                },
            )
            collector = Collector(bootstrap, prefix + topics.FULFILMENT_ORDER_EVENTS)
            await collector.start()
            checkout_topic = prefix + topics.CHECKOUT_ORDER_EVENTS
            fulfilment = start_service(
                "nceflow.fulfilment",
                free_port(),
                env,
                port_variable="NCEFLOW_FULFILMENT_PORT",
                log_path=work / "fulfilment.log",
            )
            procs.append(fulfilment)
            pids = {
                "fulfilment": fulfilment.pid,
                "simulator": sim_proc.pid,
                "Tansu": broker.pid,
                "Redis": redis.pid,
                "bench": os.getpid(),
            }
            rss_at_start = rss_mib(fulfilment.pid)
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            rate, latencies = await phase_unthrottled(
                bootstrap, checkout_topic, collector, args.orders
            )
            ms = {n: (cpu_seconds(p) - cpu_before[n]) * 1000 / args.orders for n, p in pids.items()}
            total_ms = sum(ms.values())
            print("phase 1: no rate limit, zero latency, one fulfilment process")
            print(f"  baseline (Partner Center calls alone): {base:8.1f} orders/s")
            print(f"  fulfilment (Kafka + Redis + saga):     {rate:8.1f} orders/s")
            print(f"  ratio fulfilment/baseline: {rate / base:.2f}   goal >= 100 orders/s")
            print("  CPU per order: " + ", ".join(f"{n} {v:.1f} ms" for n, v in ms.items()))
            print(
                f"  capacity: one core carries {1000 / ms['fulfilment']:.0f} orders/s of the "
                f"fulfilment process; all {os.cpu_count()} cores carry at most "
                f"{1000 * (os.cpu_count() or 1) / total_ms:.0f} orders/s of the whole pipeline "
                f"({total_ms:.1f} ms CPU per order)"
            )
            if latencies:
                print(
                    f"  OrderConfirmed -> OrderPlaced: {percentiles(latencies)} "
                    f"(all {args.orders} at once: most of it is the queue)"
                )
            pace = max(1.0, round(rate / 2))
            sent, paced = await phase_paced(
                bootstrap, checkout_topic, collector, pace, args.paced_seconds
            )
            if paced:
                print(
                    f"  paced at {pace:.0f} orders/s (half the rate above), "
                    f"{args.paced_seconds:.0f} s: {len(paced)}/{sent} placed, "
                    f"OrderConfirmed -> OrderPlaced {percentiles(paced)}"
                )
            print(
                f"  fulfilment memory: RSS {rss_at_start:.0f} MiB when ready, peak "
                f"{peak_rss_mib(fulfilment.pid):.0f} MiB through phase 1, "
                f"{rss_mib(fulfilment.pid):.0f} MiB after it"
            )
            fulfilment.stop()
            procs.remove(fulfilment)

            (await sim.patch("/_sim/config", json={"rate_limit_per_minute": LIMIT_PER_MINUTE}))
            env["NCEFLOW_PARTNER_CENTER_RATE_LIMIT_PER_MINUTE"] = str(LIMIT_PER_MINUTE)
            # Under a rate limit more orders in flight only add latency: each waits its turn.
            env["NCEFLOW_FULFILMENT_MAX_IN_FLIGHT"] = str(args.limited_concurrency)
            # Microsoft counts a sliding minute: a client burst on top of the full rate only
            # buys 429s. And a long Retry-After should park the order (freeing its slot), not
            # hold the slot inside the client's retry loop: a short per-call retry budget.
            env["NCEFLOW_PARTNER_CENTER_RATE_LIMIT_BURST"] = "5"
            env["NCEFLOW_PARTNER_CENTER_RETRY_BUDGET_SECONDS"] = "10"
            fulfilment = start_service(
                "nceflow.fulfilment",
                free_port(),
                env,
                port_variable="NCEFLOW_FULFILMENT_PORT",
                log_path=work / "fulfilment-limited.log",
            )
            procs.append(fulfilment)
            failed_before = len(collector.failed)
            placed, per_order, throttled, admitted = await phase_limited(
                bootstrap, checkout_topic, collector, sim, args.limited_seconds, args.warmup_seconds
            )
            minutes = (args.limited_seconds - args.warmup_seconds) / 60
            bound = LIMIT_PER_MINUTE / per_order
            per_minute = placed / minutes
            print(f"phase 2: simulator limit {LIMIT_PER_MINUTE} requests/minute per partner")
            print(f"  requests per placed order (simulator log): {per_order:.2f}")
            print(f"  bound: {bound:.1f} orders/minute; placed: {per_minute:.1f} orders/minute")
            print(f"  ratio placed/bound: {per_minute / bound:.2f}   goal >= 0.9")
            print(f"  API requests admitted per minute after the warm-up: {admitted:.0f}")
            print(f"  429s answered by the simulator: {throttled}")
            print(f"  orders failed: {len(collector.failed) - failed_before}   goal 0")
            await collector.stop()
    finally:
        for proc in reversed(procs):
            proc.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--limited-seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--limited-concurrency", type=int, default=8)
    parser.add_argument("--warmup-seconds", type=float, default=10.0)
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    asyncio.run(main(parser.parse_args()))
