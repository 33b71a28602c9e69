"""Fixtures: a real simulator served by uvicorn on a free port; every test starts from reset."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nceflow.partner_center_sim.domain.seed import Seed, load_seed
from nceflow.partner_center_sim.settings import Settings
from nceflow.testing.simulator import ServerThread, Sim

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(scope="session")
def sim_server() -> Iterator[ServerThread]:
    """One in-process simulator for the session (orders stay pending until completed)."""
    settings = Settings(
        port=0, random_seed=1234, order_completion_seconds=60, lost_response_hang_seconds=0
    )
    with ServerThread(settings) as server:
        yield server


@pytest.fixture(scope="session")
def sim_http(sim_server: ServerThread) -> Iterator[httpx.Client]:
    """One HTTP client for the session (creating one per test costs ~0.2 s of TLS setup)."""
    with httpx.Client(base_url=sim_server.url, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def seed() -> Seed:
    """The packaged seed."""
    return load_seed()


@pytest.fixture
def sim(sim_server: ServerThread, sim_http: httpx.Client, seed: Seed) -> Sim:
    """The session's simulator, reset to its seed."""
    assert sim_http.post("/_sim/reset").status_code == 200
    return Sim(url=sim_server.url, seed=seed, http=sim_http)


@pytest.fixture
def sample() -> Callable[[str], dict[str, Any]]:
    """Load one of Microsoft's sample payloads kept in `tests/samples/`."""

    def load(name: str) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((SAMPLES / name).read_text())
        return document

    return load
