"""Fixtures: a real simulator served by uvicorn on a free port; every test starts from reset."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from nceflow.partner_center_sim.seed import load_seed
from nceflow.partner_center_sim.settings import Settings
from nceflow.partner_center_sim.testing import ServerThread, Sim


@pytest.fixture(scope="session")
def sim_server() -> Iterator[ServerThread]:
    """One in-process simulator for the session (orders stay pending until completed)."""
    settings = Settings(
        port=0, random_seed=1234, order_completion_seconds=60, lost_response_hang_seconds=0
    )
    with ServerThread(settings) as server:
        yield server


@pytest.fixture
def sim(sim_server: ServerThread) -> Iterator[Sim]:
    """The session's simulator, reset to its seed."""
    with httpx.Client(base_url=sim_server.url, timeout=10) as http:
        assert http.post("/_sim/reset").status_code == 200
        yield Sim(url=sim_server.url, seed=load_seed(), http=http)
