"""Fixtures for running the client against the Partner Center simulator over real HTTP.

`partner_center_sim` (the base URL of a simulator subprocess) comes from the devstack pytest
plugin; every test starts from a reset simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from nceflow.partner_center import PartnerCenterClient
from nceflow.testing.partner_center import FakeClock, SimControl, partner_settings


@pytest.fixture
async def sim(partner_center_sim: str) -> AsyncIterator[SimControl]:
    control = SimControl(partner_center_sim)
    await control.reset()
    try:
        yield control
    finally:
        await control.http.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(sim: SimControl, clock: FakeClock) -> AsyncIterator[PartnerCenterClient]:
    """The direct partner's client; its retry waits run on the fake clock."""
    settings = partner_settings(sim.base_url, "direct")
    async with PartnerCenterClient(settings, clock=clock, sleep=clock.sleep) as pc:
        yield pc


@pytest.fixture
async def indirect_client(sim: SimControl, clock: FakeClock) -> AsyncIterator[PartnerCenterClient]:
    """The indirect provider's client."""
    settings = partner_settings(sim.base_url, "indirect")
    async with PartnerCenterClient(settings, clock=clock, sleep=clock.sleep) as pc:
        yield pc
