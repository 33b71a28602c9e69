"""The retry policy, on a fake clock: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import pytest

from nceflow.partner_center import (
    PartnerCenterBadRequestError,
    PartnerCenterConflictError,
    PartnerCenterError,
    PartnerCenterForbiddenError,
    PartnerCenterNotFoundError,
    PartnerCenterServerError,
    PartnerCenterThrottledError,
    PartnerCenterTimeoutError,
    RetryPolicy,
)
from nceflow.partner_center.retry import retrying
from nceflow.testing.partner_center import FakeClock


async def _run(policy: RetryPolicy, clock: FakeClock, errors: list[PartnerCenterError]) -> int:
    """Fail with `errors` in turn, then succeed; return the number of attempts made."""
    attempts = 0
    async for attempt in retrying(policy, clock=clock, sleep=clock.sleep):
        with attempt:
            attempts += 1
            if attempts <= len(errors):
                raise errors[attempts - 1]
    return attempts


async def test_retry_after_is_honoured_exactly() -> None:
    clock = FakeClock()
    errors: list[PartnerCenterError] = [
        PartnerCenterThrottledError("slow down", status=429, retry_after=7),
        PartnerCenterThrottledError("slow down", status=429, retry_after=3),
    ]
    assert await _run(RetryPolicy(), clock, errors) == 3
    assert clock.sleeps == [7, 3]


async def test_server_errors_and_timeouts_back_off_with_jitter_up_to_the_cap() -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=5, backoff_initial_seconds=0.5, backoff_max_seconds=2.0)
    errors: list[PartnerCenterError] = [
        PartnerCenterServerError("boom", status=500),
        PartnerCenterTimeoutError("slow"),
        PartnerCenterServerError("boom", status=503),
        PartnerCenterTimeoutError("slow"),
    ]
    assert await _run(policy, clock, errors) == 5
    assert len(clock.sleeps) == 4
    assert all(0 <= s <= 2.0 for s in clock.sleeps)


@pytest.mark.parametrize(
    "error",
    [
        PartnerCenterBadRequestError("bad", status=400, code=600008),
        PartnerCenterForbiddenError("mca", status=403, code=13605),
        PartnerCenterNotFoundError("gone", status=404),
        PartnerCenterConflictError("busy", status=409, code=800060),
    ],
)
async def test_other_4xx_are_never_retried(error: PartnerCenterError) -> None:
    clock = FakeClock()
    with pytest.raises(type(error)):
        await _run(RetryPolicy(), clock, [error, error])
    assert clock.sleeps == []


async def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    clock = FakeClock()
    errors: list[PartnerCenterError] = [
        PartnerCenterServerError(f"#{i}", status=500) for i in range(9)
    ]
    with pytest.raises(PartnerCenterServerError, match="#2"):
        await _run(RetryPolicy(max_attempts=3), clock, errors)
    assert len(clock.sleeps) == 2


async def test_a_retry_after_beyond_the_budget_is_not_waited_for() -> None:
    clock = FakeClock()
    errors: list[PartnerCenterError] = [
        PartnerCenterThrottledError("slow down", status=429, retry_after=20),
        PartnerCenterThrottledError("slow down", status=429, retry_after=20),
        PartnerCenterThrottledError("slow down", status=429, retry_after=20),
    ]
    with pytest.raises(PartnerCenterThrottledError):
        await _run(RetryPolicy(max_attempts=10, budget_seconds=30), clock, errors)
    assert clock.sleeps == [20]  # the second 20 s wait would end after the 30 s budget


async def test_a_503_with_retry_after_waits_as_told() -> None:
    clock = FakeClock()
    errors: list[PartnerCenterError] = [
        PartnerCenterServerError("busy", status=503, retry_after=4),
    ]
    assert await _run(RetryPolicy(), clock, errors) == 2
    assert clock.sleeps == [4]
