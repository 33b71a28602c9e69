"""Browser tests: the whole stack as real processes, driven through Debian's Chromium.

Catalog, checkout, fulfilment and the storefront run as `python -m` subprocesses on free ports,
against the session's real broker, Redis and Partner Center simulator (the lead's fixtures).
Playwright drives the `chromium` package's binary: Playwright's own browser download is not used.

Without Chromium the tests are skipped; `apt-get install -y chromium` (or NCEFLOW_CHROMIUM=<path>)
enables them. NCEFLOW_SCREENSHOTS=<dir> saves the walk-through's screenshots there (PNG).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from nceflow.devstack.processes import ManagedProcess, free_port, launch_service, wait_healthy
from nceflow.devstack.servers import create_topics_sync
from nceflow.schemas import topics

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROVISIONING_SECONDS = 4
ENABLE_HINT = (
    "Chromium not found: install Debian's package (`apt-get install -y chromium`, as `.ci/run` "
    "does) or set NCEFLOW_CHROMIUM to a Chromium binary to run the browser tests"
)


def chromium_path() -> str | None:
    """Debian's Chromium binary, or the one NCEFLOW_CHROMIUM names; None when there is none."""
    named = os.environ.get("NCEFLOW_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    found = next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)
    return found or shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the Chromium binary; skips the browser tests when there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip(ENABLE_HINT)
    return path


@dataclass(frozen=True)
class Stack:
    """The running services, and where the storefront answers."""

    storefront_url: str
    catalog_url: str
    checkout_url: str
    sim_url: str
    processes: tuple[ManagedProcess, ...]
    redis_url: str
    redis_prefix: str


def _stack_env(
    kafka_server: Any,
    redis_url: str,
    sim_url: str,
    prefix: str,
    ports: dict[str, int],
    state: Path,
) -> dict[str, str]:
    env = {
        "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS": kafka_server.bootstrap_servers,
        "NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE": str(kafka_server.supports_idempotence).lower(),
        "NCEFLOW_TOPIC_PREFIX": prefix,
        "NCEFLOW_REDIS_URL": redis_url,
        "NCEFLOW_REDIS_KEY_PREFIX": prefix.rstrip("."),
        "NCEFLOW_PARTNER_CENTER_BASE_URL": sim_url,
        "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL": sim_url,
        "NCEFLOW_CATALOG_URL": f"http://127.0.0.1:{ports['catalog']}",
        "NCEFLOW_CHECKOUT_URL": f"http://127.0.0.1:{ports['checkout']}",
        # Never written: the catalog serves the catalogue it ships with.
        "NCEFLOW_CATALOG_CATALOGUE_FILE": str(state / "catalogue.json"),
        "NCEFLOW_CHECKOUT_RELAY_BLOCK_MS": "100",
    }
    try:
        from nceflow.testing.fulfilment import fulfilment_env
    except ImportError:  # fulfilment not built yet: the order then stays confirmed
        return env
    return {
        **fulfilment_env(
            kafka_bootstrap=kafka_server.bootstrap_servers,
            enable_idempotence=kafka_server.supports_idempotence,
            topic_prefix=prefix,
            redis_url=redis_url,
            redis_prefix=prefix.rstrip("."),
            sim_url=sim_url,
        ),
        **env,
    }


@pytest.fixture(scope="module")
def stack(
    chromium: str,
    kafka_server: Any,
    redis_url: str,
    partner_center_sim: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """Catalog, checkout, fulfilment and storefront, started together on free ports."""
    httpx.post(f"{partner_center_sim}/_sim/reset", timeout=10).raise_for_status()
    # Placed orders stay `pending` in Partner Center for a few seconds, so every order page opens
    # before its order settles and must follow it by itself.
    httpx.patch(
        f"{partner_center_sim}/_sim/config",
        json={"order_completion_seconds": PROVISIONING_SECONDS},
        timeout=10,
    ).raise_for_status()
    prefix = f"b{uuid.uuid4().hex[:10]}."
    create_topics_sync(
        kafka_server.bootstrap_servers,
        [prefix + name for name in topics.ALL_TOPICS],
        partitions=2,
    )
    ports = {name: free_port() for name in ("catalog", "checkout", "fulfilment", "storefront")}
    logs = tmp_path_factory.mktemp("browser-stack")
    env = _stack_env(kafka_server, redis_url, partner_center_sim, prefix, ports, logs)

    # Launched together from this thread (a child dies with the thread that started it), then
    # each awaited on its own health endpoint.
    launched: list[ManagedProcess] = []
    try:
        for name, port in ports.items():
            launched.append(
                launch_service(
                    f"nceflow.{name}",
                    port,
                    env,
                    port_variable=f"NCEFLOW_{name.upper()}_PORT",
                    log_path=logs / f"{name}.log",
                )
            )
        for process in launched:
            wait_healthy(process, timeout=60)
        by_name = dict(zip(ports, launched, strict=True))
        yield Stack(
            storefront_url=by_name["storefront"].url,
            catalog_url=by_name["catalog"].url,
            checkout_url=by_name["checkout"].url,
            sim_url=partner_center_sim,
            processes=tuple(launched),
            redis_url=redis_url,
            redis_prefix=prefix.rstrip("."),
        )
    finally:
        for process in launched:
            process.stop()


@pytest.fixture(scope="module")
def browser(stack: Stack, chromium: str) -> Iterator[Any]:
    """One headless Chromium per module (each test opens its own context).

    Playwright's sync API keeps an event loop running on this thread while it is open, so it is
    opened after the stack (whose setup runs asyncio) and closed with the module, before any
    other module's async tests.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A fresh browser tab (own cookies) on the storefront; fails fast rather than hanging."""
    context = browser.new_context(
        base_url=stack.storefront_url, viewport={"width": 1200, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def screenshots() -> Path | None:
    """Where to save screenshots (NCEFLOW_SCREENSHOTS), or None to skip them."""
    target = os.environ.get("NCEFLOW_SCREENSHOTS")
    if not target:
        return None
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line saying what the accessibility audit covered (see `a11y.py`)."""
    from .a11y import LOG

    if LOG.pages:
        terminalreporter.write_line(
            f"axe-core {LOG.axe_version} (WCAG 2.1 A/AA): {len(LOG.pages)} pages and states "
            f"scanned, {len(set(LOG.pages))} distinct, 0 violations"
        )
