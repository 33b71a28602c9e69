"""The Partner Center budget shared by processes, against a real Redis.

Two limiters on one key stand for two processes of a service: together they get the budget
once, not once each; a limiter whose Redis is gone falls back to its own bucket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from nceflow.devstack.processes import free_port
from nceflow.partner_center.rate_limit import TokenBucket
from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.shared_rate_limit import SharedRateLimit, budget_for


@pytest.fixture
async def two_processes(
    redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[SharedRateLimit, SharedRateLimit]]:
    """Two limiters of one budget: 3 calls per 2 seconds for partner tenant t1."""
    first, second = (
        SharedRateLimit(redis_url, "t1", 3, window_seconds=2, key_prefix=f"{redis_prefix}:pc")
        for _ in range(2)
    )
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_processes_share_one_budget(
    two_processes: tuple[SharedRateLimit, SharedRateLimit],
) -> None:
    first, second = two_processes
    async with asyncio.timeout(1):  # the budget's three calls go at once, whoever makes them
        await first.acquire()
        await second.acquire()
        await first.acquire()
    fourth = asyncio.ensure_future(second.acquire())
    done, _ = await asyncio.wait({fourth}, timeout=0.5)
    assert not done, "a fourth call within the window went through: the budget is per process"
    async with asyncio.timeout(5):  # once the window has moved on, it goes
        await fourth


async def test_another_partner_tenant_has_its_own_budget(
    redis_url: str, redis_prefix: str, two_processes: tuple[SharedRateLimit, SharedRateLimit]
) -> None:
    first, _ = two_processes
    other = SharedRateLimit(redis_url, "t2", 3, window_seconds=2, key_prefix=f"{redis_prefix}:pc")
    try:
        async with asyncio.timeout(1):
            for _ in range(3):
                await first.acquire()
            for _ in range(3):
                await other.acquire()
    finally:
        await other.aclose()


@pytest.mark.integration  # a real server on loopback
async def test_without_redis_the_process_keeps_to_its_own_bucket() -> None:
    gone = SharedRateLimit(
        f"redis://127.0.0.1:{free_port()}/0", "t1", 600, local=TokenBucket(600, burst=2)
    )
    try:
        async with asyncio.timeout(5):
            for _ in range(3):  # Partner Center calls go on: the local bucket paces them
                await gone.acquire()
    finally:
        await gone.aclose()


def test_a_client_gets_a_shared_budget_only_with_a_redis_and_a_limit() -> None:
    settings = PartnerCenterSettings(
        tenant_id="t1", client_secret=SecretStr("s"), refresh_token=SecretStr("r")
    )
    assert isinstance(budget_for(settings, redis_url=None, key_prefix="p"), TokenBucket)
    shared = budget_for(settings, redis_url="redis://127.0.0.1:6379/0", key_prefix="p")
    assert isinstance(shared, SharedRateLimit)
    off = settings.model_copy(update={"rate_limit_per_minute": 0})
    assert budget_for(off, redis_url="redis://127.0.0.1:6379/0", key_prefix="p") is None
