"""Overhead of `PartnerCenterClient` over a bare aiohttp call, against the Partner Center simulator.

    .venv/bin/python bench/partner_center.py [--seconds 4] [--concurrency 16]

Starts the simulator (`python -m nceflow.partner_center_sim`) on a free port with no rate limit
and no faults (zero added latency), then, in this process, runs `--concurrency` tasks for
`--seconds` each way, twice, alternating so that neither side profits from a warmer server:

- client: `PartnerCenterClient.get_customer` (token cache, rate limiter off, retry controller,
  headers, pydantic parsing of the customer), over its aiohttp wire;
- bare: a raw `aiohttp.ClientSession` GET of the same URL with the same headers and token
  (no cookie jar, like the client's wire), decoding the JSON body (what any caller does at
  least): the floor the client's own work adds to;
- httpx: the same bare call with `httpx.AsyncClient` (httpcore), for comparison: httpx's
  per-request machinery is why the client no longer uses it for calls.

Prints calls/s for each, the client/bare ratio (goal: >= 0.8), and the CPU time this process
spent per call on each side (the client's own cost, whatever the server's speed; goal for the
client: <= ~400 us on the reference machine).
Bounded to about 6 x seconds + start-up; stops the simulator by its pid. Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

from nceflow.devstack.processes import LOOPBACK, free_port, start_service
from nceflow.partner_center import (
    EntraIdTokenProvider,
    PartnerCenterClient,
    PartnerCenterSettings,
    TokenKind,
)
from nceflow.runtime.logging import configure_logging

CONTOSO = "0cab9e0c-7015-4b96-9819-e59f32cd0700"  # a seeded customer of the direct partner


async def _load(call: Callable[[], Awaitable[None]], seconds: float, concurrency: int) -> int:
    """Run `call` in `concurrency` loops for `seconds`; return how many calls completed."""
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


async def run(base_url: str, seconds: float, concurrency: int, sim_pid: int) -> float:
    settings = PartnerCenterSettings(
        base_url=base_url,
        authority_url=base_url,
        rate_limit_per_minute=0,
        max_connections=concurrency,
    )
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with (
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(sock_connect=5, sock_read=30),
            cookie_jar=aiohttp.DummyCookieJar(),
        ) as session,
        httpx.AsyncClient(timeout=httpx.Timeout(30, connect=5), limits=limits) as http,
    ):
        tokens = EntraIdTokenProvider.from_settings(settings, http)  # one token for every side
        client = PartnerCenterClient(settings, token_provider=tokens)
        correlation_id = str(uuid.uuid4())
        await client.get_customer(CONTOSO, correlation_id=correlation_id)  # token + connection
        token = (await tokens.get_token(TokenKind.APP_ONLY)).get_secret_value()
        url = f"{base_url}/v1/customers/{CONTOSO}"

        async def with_client() -> None:
            await client.get_customer(CONTOSO, correlation_id=correlation_id)

        def headers() -> dict[str, str]:
            return {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "MS-RequestId": str(uuid.uuid4()),
                "MS-CorrelationId": correlation_id,
                "MS-Contract-Version": "v1",
            }

        async def bare() -> None:
            async with session.get(url, headers=headers(), allow_redirects=False) as response:
                response.raise_for_status()
                json.loads(await response.read())

        async def with_httpx() -> None:
            response = await http.get(url, headers=headers())
            response.raise_for_status()
            response.json()

        sides = {"bare": bare, "httpx": with_httpx, "client": with_client}
        for call in sides.values():
            await _load(call, 0.5, concurrency)  # warm every pool
        totals = dict.fromkeys(sides, 0)
        cpu = dict.fromkeys(sides, 0.0)
        sim_cpu = dict.fromkeys(sides, 0.0)
        for _ in range(2):
            for side, call in sides.items():
                cpu_before, sim_before = time.process_time(), cpu_seconds(sim_pid)
                totals[side] += await _load(call, seconds, concurrency)
                cpu[side] += time.process_time() - cpu_before
                sim_cpu[side] += cpu_seconds(sim_pid) - sim_before
        await client.aclose()
    rate = {side: totals[side] / (2 * seconds) for side in sides}
    ratio = rate["client"] / rate["bare"]
    print(f"concurrency {concurrency}, {2 * seconds:.0f} s per side, GET /v1/customers/{{id}}")
    print(f"bare aiohttp session            {rate['bare']:8.0f} calls/s")
    print(f"bare httpx (httpcore)           {rate['httpx']:8.0f} calls/s")
    print(f"PartnerCenterClient (aiohttp)   {rate['client']:8.0f} calls/s")
    print(f"ratio client/bare               {ratio:8.2f}  (goal >= 0.8)")
    # The simulator usually bounds the rates; CPU per call in this process shows the client's
    # own cost independently of the server.
    us = {side: 1e6 * cpu[side] / max(1, totals[side]) for side in sides}
    print(
        f"load-generator CPU per call: bare aiohttp {us['bare']:.0f} us,"
        f" httpx {us['httpx']:.0f} us, client {us['client']:.0f} us (goal <= ~400)"
    )
    sim_us = 1e6 * sum(sim_cpu.values()) / max(1, sum(totals.values()))
    print(f"simulator CPU per call: {sim_us:.0f} us (all sides)")
    return ratio


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per side and round")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    configure_logging(json=False, level="WARNING")
    log = Path(sys.argv[0]).resolve().parent.parent / ".nceflow" / "bench-partner-center-sim.log"
    log.parent.mkdir(exist_ok=True)
    sim = start_service(
        "nceflow.partner_center_sim",
        free_port(),
        {
            "NCEFLOW_PC_SIM_HOST": LOOPBACK,
            "NCEFLOW_PC_SIM_RATE_LIMIT_PER_MINUTE": "0",
            "NCEFLOW_PC_SIM_LOG_LEVEL": "WARNING",
        },
        port_variable="NCEFLOW_PC_SIM_PORT",
        log_path=log,
    )
    try:
        ratio = asyncio.run(run(sim.url, args.seconds, args.concurrency, sim.pid))
    finally:
        sim.stop()  # by pid
    return 0 if ratio > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
