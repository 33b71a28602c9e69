"""The per-tenant token bucket on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from nceflow.partner_center import TokenBucket
from nceflow.testing.partner_center import FakeClock


async def test_burst_passes_then_callers_queue_at_the_configured_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=3, clock=clock, sleep=clock.sleep)  # one per second
    delays = [bucket.reserve() for _ in range(6)]
    assert delays == pytest.approx([0, 0, 0, 1, 2, 3])


async def test_concurrent_burst_is_spread_over_time_not_rejected() -> None:
    clock = FakeClock()
    bucket = TokenBucket(600, burst=10, clock=clock, sleep=clock.sleep)  # 10 per second
    done_at: list[float] = []

    async def one() -> None:
        await bucket.acquire()
        done_at.append(clock())

    start = clock()
    await asyncio.gather(*(one() for _ in range(30)))
    assert len(done_at) == 30
    # 10 go at once, the other 20 need 2 more seconds at 10/s.
    assert sum(1 for t in done_at if t == start) == 10
    assert max(done_at) - start == pytest.approx(2.0)


async def test_tokens_refill_with_time_up_to_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(60, burst=2, clock=clock, sleep=clock.sleep)
    assert [bucket.reserve(), bucket.reserve()] == [0, 0]
    clock.advance(100)  # long idle: refill caps at the burst size
    assert [bucket.reserve(), bucket.reserve()] == [0, 0]
    assert bucket.reserve() == pytest.approx(1.0)


async def test_default_burst_is_a_tenth_of_the_minute_rate() -> None:
    assert TokenBucket(500).capacity == 50
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


async def test_a_queued_caller_holds_no_lock_that_blocks_later_callers() -> None:
    clock = FakeClock()
    gate = asyncio.Event()

    async def gated_sleep(seconds: float) -> None:
        await gate.wait()  # the queued caller stays asleep until the test opens the gate

    bucket = TokenBucket(60, burst=1, clock=clock, sleep=gated_sleep)
    await bucket.acquire()  # takes the only token
    queued = asyncio.create_task(bucket.acquire())  # must wait for the next token
    await asyncio.sleep(0)
    assert not queued.done()
    clock.advance(5)  # enough refill for the queued reservation and one more caller
    await asyncio.wait_for(bucket.acquire(), 1)  # not blocked behind the sleeping caller
    assert not queued.done()
    gate.set()
    await asyncio.wait_for(queued, 1)
