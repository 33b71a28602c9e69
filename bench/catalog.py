"""Throughput of the catalog's plan listing against a bare FastAPI endpoint serving the same bytes.

    .venv/bin/python bench/catalog.py [--seconds 10] [--connections 64]

Starts two servers as subprocesses with the same uvicorn settings (`nceflow.runtime.serve`):
the catalog service (`python -m nceflow.catalog`, shipped catalogue) and a baseline app whose
only route returns, from memory, the exact bytes the catalog answers for the tile's plans.
Each is loaded for `--seconds` (in interleaved slices, so that other work on the machine hits
both alike) with `--connections` keep-alive connections from an asyncio load generator in this
process (`bench/_loadgen.py`); requests/s, p50, p99 and the catalog/baseline ratio are
printed (goal: ≥ 0.8), plus the resident memory of both server processes. Not run by tests.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.responses import Response

from nceflow.catalog.adapters.files import load_catalogue
from nceflow.catalog.domain.query import PlanFilter
from nceflow.catalog.domain.snapshot import CatalogueSnapshot
from nceflow.devstack.processes import LOOPBACK, ManagedProcess, free_port, http_ok, start_service
from nceflow.runtime.serve import serve
from nceflow.runtime.settings import HttpServerSettings

# Run as `python bench/catalog.py`: make the repository root importable for `bench._loadgen`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._loadgen import Connection, Tally, load
from bench._proc import rss_mib

TILE = "nce-microsoft-365-commercial"
PLANS_PATH = f"/v1/tiles/{TILE}/plans"
FILTERED_PATH = f"{PLANS_PATH}?term=P1Y&billing_cycle=monthly"
ROUNDS = 5


def baseline_app() -> FastAPI:
    """One route answering the tile's plans as bytes computed once at start."""
    body = CatalogueSnapshot(load_catalogue()).plans_of_tile(TILE, PlanFilter()).content
    app = FastAPI()

    @app.get(PLANS_PATH)
    async def plans() -> Response:
        return Response(body, media_type="application/json")

    return app


def _load(url: str, seconds: float, connections: int) -> Tally:
    """`connections` keep-alive connections GETting `url` for `seconds`."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    request = Connection(origin).build("GET", url.removeprefix(origin))
    return asyncio.run(load(origin, [request] * connections, seconds))


def run(seconds: float, connections: int) -> None:
    """Start both servers, load each in turn, print the figures, stop both by pid."""
    state = Path(tempfile.mkdtemp(prefix="nceflow-bench-catalog-"))
    env = {
        "NCEFLOW_CATALOG_CATALOGUE_FILE": str(state / "none.json"),
        "NCEFLOW_CATALOG_RELOAD_INTERVAL_SECONDS": "0",
        "NCEFLOW_CATALOG_LOG_LEVEL": "WARNING",
    }
    catalog = start_service(
        "nceflow.catalog", free_port(), env, port_variable="NCEFLOW_CATALOG_PORT"
    )
    port = free_port()
    baseline = ManagedProcess(
        name="baseline",
        argv=[sys.executable, __file__, "--serve-baseline", str(port)],
        port=port,
        url=f"http://{LOOPBACK}:{port}",
    ).start()
    try:
        baseline.wait_until(lambda: http_ok(baseline.url + PLANS_PATH))
        same = (
            httpx.get(catalog.url + PLANS_PATH).content
            == httpx.get(baseline.url + PLANS_PATH).content
        )
        assert same, "the baseline must serve the catalog's exact bytes"
        targets = {
            "catalog": catalog.url + PLANS_PATH,
            "bare": baseline.url + PLANS_PATH,
            "filtered": catalog.url + FILTERED_PATH,
        }
        for url in targets.values():
            _load(url, 1.0, connections)  # warm-up: connections, caches, allocator
        # Interleave short slices so that other load on the machine hits every target alike.
        slices: dict[str, list[Tally]] = {name: [] for name in targets}
        for _ in range(ROUNDS):
            for name, url in targets.items():
                slices[name].append(_load(url, seconds / ROUNDS, connections))
        plain, bare, filtered = (Tally.combine(slices[name]) for name in targets)
        print(f"GET {PLANS_PATH}: {seconds:.0f} s each, {connections} keep-alive connections")
        print(plain.row("catalog", 34))
        print(bare.row("bare FastAPI, same bytes", 34))
        print(filtered.row("catalog ?term=P1Y&billing=monthly", 34))
        print(f"ratio catalog / bare: {plain.rate / bare.rate:.2f} (goal >= 0.8)")
        print(f"ratio filtered / bare: {filtered.rate / bare.rate:.2f}")
        print(
            f"RSS: catalog {rss_mib(catalog.pid):.1f} MiB with "
            f"{len(load_catalogue().plans)} plans; bare FastAPI {rss_mib(baseline.pid):.1f} MiB"
        )
    finally:
        catalog.stop()
        baseline.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline is not None:
        settings = HttpServerSettings(port=args.serve_baseline, log_level="WARNING")
        serve(baseline_app(), settings)
        return
    run(args.seconds, args.connections)


if __name__ == "__main__":
    main()
