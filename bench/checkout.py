"""Checkout under load: 64 customers walking the whole wizard, against a bare Redis-MULTI baseline.

    .venv/bin/python bench/checkout.py [--seconds 20] [--customers 64]

Starts Redis, a Kafka-compatible broker (Tansu), the catalog, the Partner Center simulator (rate
limit off), checkout A (`python -m nceflow.checkout`, outbox relay inside, as deployed by default),
checkout B (relay disabled) with a standalone relay (`python -m nceflow.checkout.relay`) on its
own Redis key prefix and topics, a baseline process (a bare FastAPI endpoint doing one Redis MULTI
of GET + SET + XADD per request, same uvicorn settings) and a Kafka consumer process.

Each simulated customer walks the seed's path (existing account, no relationship on record,
indirect reseller): draft with cart, account, partner relationship, partner of record, tenant
domain (checked against the simulator), MCA, qualification, Buy: 8 requests and 9 events per
purchase, each PUT sending `If-Match` with the ETag of the previous answer, Buy an
`Idempotency-Key`. Load comes from `bench/_loadgen.py` (a bare asyncio keep-alive client; httpx
saturated the CPU itself here). Phases, one after the other:

1. checkout A, `--customers` customers in a closed loop for `--seconds`;
2. the baseline, as many connections in a closed loop for `--seconds / 2`;
3. checkout A paced at half the purchase rate of phase 1 (below saturation), `--seconds / 4`;
4. checkout B with the standalone relay, closed loop, `--seconds / 2`.

Prints step requests/s, p50/p99 latency, the ratio of phase 1's step rate to the baseline's (goal ≥
0.7) and, per phase, the lag from commit to a subscriber (goal p99 < 100 ms): from the event's
CloudEvents `time` (read by checkout after `WATCH`, just before the `MULTI`/`EXEC` that writes the
draft and the outbox entry) to the moment the consumer process (not this busy load generator) got
the record, both read from the same machine's clock; as a breakdown, commit to the record's Kafka
timestamp (set by the relay's producer when it hands the record over). Also printed: the CPU
seconds every process (and the rest of the machine) used during phases 1 and 2, since a closed-loop
figure means little without knowing what was saturated, and the peak resident memory of the
checkout and baseline processes. Not run by tests.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from redis.asyncio import Redis

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings
from nceflow.devstack.processes import (
    LOOPBACK,
    ManagedProcess,
    free_port,
    launch_service,
    start_service,
    wait_healthy,
)
from nceflow.devstack.servers import create_topics, start_broker, start_redis
from nceflow.runtime.serve import serve
from nceflow.runtime.settings import HttpServerSettings
from nceflow.schemas import topics

# Run as `python bench/checkout.py`: make the repository root importable for `bench._loadgen`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._loadgen import Connection, Tally, load, percentile, timed
from bench._proc import peak_rss_mib

RESELLER = "tailspin-indirect"
CONTOSO_TENANT = "0cab9e0c-7015-4b96-9819-e59f32cd0700"  # the simulator's seed
PLAN = "cfq7ttc0lh18-0001-p1y-monthly-us"
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
}
# The seed's walk after the draft: existing account, no relationship on record, indirect model.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("account", {"kind": "existing"}),
    ("partner_relationship", {"authorization_done": "yes"}),
    ("partner_of_record", {"attestation_accepted": True}),
    ("tenant_domain", {"primary_domain": "contoso.onmicrosoft.com"}),
    ("mca", MCA),
    ("qualification", {"qualification": "none"}),
]
# The subscriber's longest wait for a fetch the broker cannot fill yet (aiokafka's default: 500).
# Tansu answers such a fetch only when this wait is over, not when a record arrives (measured:
# lag p50 32 ms at 100, 9 ms at 10, paced), so a short wait keeps the broker's polling out of
# what is checkout's lag. Real Kafka answers as soon as a record arrives.
FETCH_MAX_WAIT_MS = 10
DRAIN_SECONDS = 10.0
MACHINE = "whole machine"


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


# --- the subscriber process -----------------------------------------------------------------


async def consume(bootstrap: str, topic_names: Sequence[str], fetch_max_wait_ms: int) -> None:
    """Print `topic, event id, commit ms, Kafka timestamp ms, received ms` per record, forever.

    Runs in its own process, so that its receive times are not delayed by the load generator.
    """
    consumer = AIOKafkaConsumer(
        *topic_names,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
    await consumer.start()
    try:
        while len(consumer.assignment()) < len(topic_names):
            await consumer.getmany(timeout_ms=50)
        print("ready", flush=True)
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            received = time.time() * 1000
            lines = []
            for records in batch.values():
                for record in records:
                    assert record.value is not None
                    event = orjson.loads(record.value)
                    committed = datetime.fromisoformat(event["time"]).timestamp() * 1000
                    lines.append(
                        f"{record.topic}\t{event['id']}\t{committed:.3f}"
                        f"\t{record.timestamp}\t{received:.3f}\n"
                    )
            sys.stdout.write("".join(lines))
            sys.stdout.flush()
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Received:
    """One event as the subscriber got it (times in ms since the epoch)."""

    topic: str
    event_id: str
    committed: float
    kafka_timestamp: float
    received: float


def read_received(log: Path) -> list[Received]:
    """What the subscriber got so far (each event once: the relay delivers at least once)."""
    seen: dict[str, Received] = {}
    for line in log.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 5 and parts[1] not in seen:
            seen[parts[1]] = Received(
                parts[0], parts[1], float(parts[2]), float(parts[3]), float(parts[4])
            )
    return list(seen.values())


# --- the customers --------------------------------------------------------------------------


@dataclass
class Phase:
    """One load phase against one checkout: its requests, purchases and commit window."""

    name: str
    topic: str
    tally: Tally = field(default_factory=Tally)
    purchases: int = 0
    started: float = 0.0  # wall clock, seconds
    ended: float = 0.0

    @property
    def events(self) -> int:
        """Events the successful requests committed: draft + cart, one per step, one per Buy."""
        by_kind = self.tally.by_kind
        return sum(len(v) for v in by_kind.values()) + len(by_kind.get("draft+cart", []))

    def received(self, events: Sequence[Received]) -> list[Received]:
        return [
            e
            for e in events
            if e.topic == self.topic and self.started * 1000 <= e.committed <= self.ended * 1000
        ]


async def walk(
    connection: Connection, token: str, phase: Phase, deadline: float | None = None
) -> None:
    """One purchase along the seed's path, as a browser would send it; given a `deadline`
    (perf_counter), the customer walks away at it, leaving the draft unfinished."""
    auth = {"Authorization": f"Bearer {token}"}
    created = await timed(
        connection,
        phase.tally,
        "draft+cart",
        connection.build(
            "POST", "/v1/drafts", json={"items": [{"plan_id": PLAN, "quantity": 5}]}, headers=auth
        ),
        expect=201,
    )
    if created is None or created.status != 201:
        return
    draft = created.json()["id"]
    etag = created.headers["etag"]
    for step, data in STEPS:
        if deadline is not None and time.perf_counter() >= deadline:
            return
        saved = await timed(
            connection,
            phase.tally,
            step,
            connection.build(
                "PUT",
                f"/v1/drafts/{draft}/steps/{step}",
                json=data,
                headers={**auth, "If-Match": etag},
            ),
        )
        if saved is None or saved.status != 200:
            return
        etag = saved.headers["etag"]
    if deadline is not None and time.perf_counter() >= deadline:
        return
    bought = await timed(
        connection,
        phase.tally,
        "buy",
        connection.build(
            "POST",
            f"/v1/drafts/{draft}/confirm",
            json={"terms_accepted": True},
            headers={**auth, "Idempotency-Key": draft},
        ),
        expect=202,
    )
    phase.purchases += bought is not None and bought.status == 202


async def customers(
    base_url: str, tokens: Sequence[str], phase: Phase, seconds: float, pace: float | None
) -> None:
    """One connection per customer, walking until `seconds` are over: back to back (closed
    loop), or with purchases started `pace` per second overall (below saturation)."""
    began = time.perf_counter()
    deadline = began + seconds
    slots = itertools.count()
    phase.started = time.time()

    async def customer(token: str) -> None:
        async with Connection(base_url) as connection:
            while True:
                if pace is not None:
                    start_at = began + next(slots) / pace
                    if start_at >= deadline:
                        return
                    await asyncio.sleep(start_at - time.perf_counter())
                    await walk(connection, token, phase)  # a paced walk is finished
                elif time.perf_counter() < deadline:
                    await walk(connection, token, phase, deadline)
                else:
                    return

    await asyncio.gather(*(customer(token) for token in tokens))
    phase.tally.seconds = time.perf_counter() - began
    phase.ended = time.time()


async def wait_for_events(log: Path, phases: Sequence[Phase], within: float) -> None:
    """Until the subscriber got every event the phases committed, or `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        events = read_received(log)
        if all(len(p.received(events)) >= p.events for p in phases):
            return
        await asyncio.sleep(0.1)


def lag_line(phase: Phase, events: Sequence[Received]) -> str:
    got = phase.received(events)
    if not got:
        return f"  commit -> subscriber lag: no events received (expected {phase.events})"
    lags = [e.received - e.committed for e in got]
    sends = [e.kafka_timestamp - e.committed for e in got]
    missing = phase.events - len(got)
    return (
        f"  commit -> subscriber lag over {len(got)} events: p50 {percentile(lags, 50):.1f} ms"
        f"  p99 {percentile(lags, 99):.1f} ms  (goal p99 < 100 ms)"
        f"{f'  NOT RECEIVED {missing}' if missing > 0 else ''}\n"
        f"    of which commit -> relay send (Kafka timestamp): p50 {percentile(sends, 50):.1f} ms"
        f"  p99 {percentile(sends, 99):.1f} ms"
    )


@dataclass(frozen=True)
class Targets:
    checkout: str  # relay inside
    checkout_topic: str
    standalone: str  # relay in its own process
    standalone_topic: str
    baseline: str
    consumer_log: Path
    processes: dict[str, int]  # name -> pid, for CPU accounting


def cpu_seconds(pids: Mapping[str, int]) -> dict[str, float]:
    """User + system CPU seconds each process (with its children, except for this process,
    whose children are the services) has used so far."""
    used: dict[str, float] = {}
    for name, pid in pids.items():
        try:
            root = psutil.Process(pid)
            tree = [root] if pid == os.getpid() else [root, *root.children(recursive=True)]
            used[name] = sum(p.cpu_times().user + p.cpu_times().system for p in tree)
        except psutil.NoSuchProcess:
            used[name] = 0.0
    machine = psutil.cpu_times()
    used[MACHINE] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return used


def cpu_ms_per_request(
    before: Mapping[str, float], after: Mapping[str, float], name: str, requests: int
) -> float:
    """Milliseconds of CPU process `name` spent per request it answered in a phase."""
    return (after[name] - before[name]) * 1000 / requests if requests else 0.0


def cpu_line(before: Mapping[str, float], after: Mapping[str, float], wall: float) -> str:
    """Where the machine's CPU went during a phase."""
    spent = {name: after[name] - before[name] for name in after}
    machine = spent.pop(MACHINE)
    spent["other processes"] = machine - sum(spent.values())
    parts = ", ".join(
        f"{name} {seconds:.1f}"
        for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
        if seconds >= 0.05
    )
    cores = psutil.cpu_count() or 1
    idle = max(wall * cores - machine, 0.0)
    return f"  CPU s over {wall:.0f} s x {cores} cores: {parts}; idle {idle:.1f}"


async def run(
    seconds: float, n: int, targets: Targets, settings: Settings, fetch_max_wait_ms: int
) -> None:
    # The platform names the customer's tenant in its token (`ms_tenant_id`), so the walk asks
    # for no Microsoft sign-in: that is two calls to Entra per draft, not checkout's own work.
    tokens = [
        mint_dev_token(f"bench-{i}", RESELLER, settings, tenant_id=CONTOSO_TENANT) for i in range(n)
    ]
    log = targets.consumer_log

    # Warm-up, not measured: every customer walks once on both checkouts, so that connections
    # (HTTP, and the Redis pool grown to the load's concurrency), caches and each customer's
    # first JWT verification are in place: the phases measure the steady state.
    warm_up = Phase("warm-up", "")

    async def warm(url: str, token: str) -> None:
        async with Connection(url) as connection:
            await walk(connection, token, warm_up)

    for url in (targets.checkout, targets.standalone):
        await asyncio.gather(*(warm(url, token) for token in tokens))
    if warm_up.purchases != 2 * n:
        raise SystemExit(f"warm-up walks failed: {warm_up.tally.errors_by_kind}")
    pids = {**targets.processes, "load generator": os.getpid()}
    saturated = Phase("saturated", targets.checkout_topic)
    cpu_before = cpu_seconds(pids)
    await customers(targets.checkout, tokens, saturated, seconds, pace=None)
    cpu_after = cpu_seconds(pids)
    cpu_saturated = cpu_line(cpu_before, cpu_after, saturated.tally.seconds)
    answered = len(saturated.tally.latencies)
    checkout_ms = cpu_ms_per_request(cpu_before, cpu_after, "checkout", answered)

    probe = Connection(targets.baseline)
    baseline_requests = [probe.build("PUT", f"/step/c{i}") for i in range(n)]
    cpu_before = cpu_seconds(pids)
    baseline = await load(targets.baseline, baseline_requests, seconds / 2)
    cpu_after = cpu_seconds(pids)
    cpu_baseline = cpu_line(cpu_before, cpu_after, baseline.seconds)
    baseline_ms = cpu_ms_per_request(cpu_before, cpu_after, "baseline", len(baseline.latencies))

    # Below saturation: half the purchase rate the closed loop reached, once its events are out.
    await wait_for_events(log, [saturated], DRAIN_SECONDS)
    pace = max(saturated.purchases / saturated.tally.seconds / 2, 0.5)
    paced = Phase("paced", targets.checkout_topic)
    await customers(targets.checkout, tokens, paced, seconds / 4, pace=pace)

    standalone = Phase("standalone relay", targets.standalone_topic)
    await customers(targets.standalone, tokens, standalone, seconds / 2, pace=None)

    await wait_for_events(log, [saturated, paced, standalone], DRAIN_SECONDS)
    events = read_received(log)

    print(
        f"{n} customers walking the seed path (existing account, no relationship, indirect): "
        "8 requests, 9 events per purchase"
    )
    print(f"[1] checkout, relay inside, closed loop, {saturated.tally.seconds:.0f} s")
    print(saturated.tally.row("checkout"))
    print("  " + saturated.tally.breakdown())
    print(
        f"  purchases completed: {saturated.purchases}"
        f"  ({saturated.purchases / saturated.tally.seconds:.1f} Buy/s)"
    )
    print(cpu_saturated)
    print(f"[2] baseline, bare FastAPI + one Redis MULTI, closed loop, {baseline.seconds:.0f} s")
    print(baseline.row("baseline"))
    print(cpu_baseline)
    ratio = saturated.tally.rate / baseline.rate if baseline.rate else 0.0
    print(f"ratio checkout/baseline step rate: {ratio:.2f}  (goal >= 0.7)")
    print(
        f"server CPU per request: checkout {checkout_ms:.2f} ms (relay thread included), "
        f"baseline {baseline_ms:.2f} ms; ratio baseline/checkout "
        f"{baseline_ms / checkout_ms if checkout_ms else 0.0:.2f} (what one core allows, "
        "whatever else runs on the machine)"
    )
    print("[1] " + lag_line(saturated, events).lstrip())
    print(
        f"[3] checkout, relay inside, paced at {pace:.1f} purchases/s (half of [1]), "
        f"{paced.tally.seconds:.0f} s"
    )
    print(paced.tally.row("checkout"))
    print(f"  purchases completed: {paced.purchases}")
    print(lag_line(paced, events))
    print(
        f"[4] checkout with the standalone relay process, closed loop, "
        f"{standalone.tally.seconds:.0f} s"
    )
    print(standalone.tally.row("checkout"))
    print(f"  purchases completed: {standalone.purchases}")
    print(lag_line(standalone, events))
    print(f"(subscriber: a separate process, aiokafka fetch_max_wait_ms={fetch_max_wait_ms})")
    print(
        "memory (peak RSS over the run): "
        + ", ".join(
            f"{name} {peak_rss_mib(targets.processes[name]):.0f} MiB"
            for name in ("checkout", "baseline")
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--customers", type=int, default=64)
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--consume", nargs="+", metavar="BOOTSTRAP TOPIC", help=argparse.SUPPRESS)
    parser.add_argument(
        "--fetch-max-wait-ms",
        type=int,
        default=FETCH_MAX_WAIT_MS,
        help="the subscriber's fetch_max_wait_ms",
    )
    args = parser.parse_args()
    if args.serve_baseline:
        serve(
            baseline_app(args.redis_url),
            HttpServerSettings(port=args.serve_baseline, log_level="WARNING"),
        )
        return
    if args.consume:
        asyncio.run(consume(args.consume[0], args.consume[1:], args.fetch_max_wait_ms))
        return

    logs = Path(tempfile.mkdtemp(prefix="nceflow-bench-checkout-"))
    procs: list[ManagedProcess] = []
    try:
        redis = start_redis(free_port(), log_path=logs / "redis.log")
        procs.append(redis)
        broker = start_broker(free_port(), log_path=logs / "tansu.log")
        procs.append(broker)
        inside, alone = "bench.", "bench-standalone."
        asyncio.run(
            create_topics(
                broker.url,
                [prefix + t for prefix in (inside, alone) for t in topics.ALL_TOPICS],
                partitions=4,
            )
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
            "NCEFLOW_TOPIC_PREFIX": inside,
            "NCEFLOW_REDIS_URL": redis.url,
            "NCEFLOW_REDIS_KEY_PREFIX": "bench",
            "NCEFLOW_CATALOG_URL": catalog.url,
            "NCEFLOW_PARTNER_CENTER_BASE_URL": sim.url,
            "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL": sim.url,
            "NCEFLOW_CHECKOUT_PARTNER_CENTER_RATE_LIMIT_PER_MINUTE": "0",
            "NCEFLOW_CHECKOUT_LOG_LEVEL": "WARNING",
        }
        # B: its own key prefix and topics, so that A's in-process relay never takes its entries.
        env_alone = {
            **env,
            "NCEFLOW_TOPIC_PREFIX": alone,
            "NCEFLOW_REDIS_KEY_PREFIX": "bench-standalone",
        }
        topic_inside = inside + topics.CHECKOUT_ORDER_EVENTS
        topic_alone = alone + topics.CHECKOUT_ORDER_EVENTS
        consumer = ManagedProcess(
            name="subscriber",
            argv=[
                sys.executable,
                __file__,
                "--fetch-max-wait-ms",
                str(args.fetch_max_wait_ms),
                "--consume",
                broker.url,
                topic_inside,
                topic_alone,
            ],
            port=0,
            log_path=logs / "subscriber.log",
        ).start()
        procs.append(consumer)
        checkout = launch_service(
            "nceflow.checkout",
            free_port(),
            env,
            port_variable="NCEFLOW_CHECKOUT_PORT",
            log_path=logs / "checkout.log",
        )
        procs.append(checkout)
        standalone = launch_service(
            "nceflow.checkout",
            free_port(),
            {**env_alone, "NCEFLOW_CHECKOUT_RELAY_ENABLED": "false"},
            port_variable="NCEFLOW_CHECKOUT_PORT",
            log_path=logs / "checkout-standalone.log",
        )
        procs.append(standalone)
        relay = ManagedProcess(
            name="relay",
            argv=[sys.executable, "-m", "nceflow.checkout.relay"],
            port=0,
            env=env_alone,
            log_path=logs / "relay.log",
        ).start()
        procs.append(relay)
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
            url=f"http://{LOOPBACK}:{baseline_port}",
        ).start()
        procs.append(baseline)
        for proc in (checkout, standalone):
            wait_healthy(proc)
        wait_healthy(baseline, "/docs")
        consumer.wait_until(lambda: "ready" in (logs / "subscriber.log").read_text())
        if not relay.alive():
            raise SystemExit(f"the standalone relay exited; see {logs / 'relay.log'}")
        targets = Targets(
            checkout=checkout.url,
            checkout_topic=topic_inside,
            standalone=standalone.url,
            standalone_topic=topic_alone,
            baseline=baseline.url,
            consumer_log=logs / "subscriber.log",
            processes={
                "checkout": checkout.pid,
                "checkout B": standalone.pid,
                "relay B": relay.pid,
                "catalog": catalog.pid,
                "PC simulator": sim.pid,
                "redis": redis.pid,
                "broker": broker.pid,
                "baseline": baseline.pid,
                "subscriber": consumer.pid,
            },
        )
        asyncio.run(run(args.seconds, args.customers, targets, Settings(), args.fetch_max_wait_ms))
    finally:
        # SIGTERM all at once (each by its pid): the services' graceful stops overlap.
        with ThreadPoolExecutor(len(procs) or 1) as pool:
            list(pool.map(ManagedProcess.stop, reversed(procs)))


if __name__ == "__main__":
    main()
