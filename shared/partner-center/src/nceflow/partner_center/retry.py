"""When and how long to wait before retrying a Partner Center call (tenacity).

Retried: 429, 5xx, timeouts and connection errors; after exactly `Retry-After` seconds when
Microsoft sent one (429, some 503), else with jittered exponential backoff. Never retried: any
other 4xx. Every retry of
one logical call fits in a time budget measured on an injectable clock, so tests check the waits
on a fake clock without sleeping. The same `MS-RequestId` goes out on every attempt: the caller
builds the headers once per logical call, outside the retry loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_random_exponential

from nceflow.partner_center.errors import PartnerCenterError, is_retryable
from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.timing import Clock, Sleep

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Limits of the retries of one logical call."""

    max_attempts: int = 5
    budget_seconds: float = 60.0
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: PartnerCenterSettings) -> RetryPolicy:
        return cls(
            max_attempts=settings.max_attempts,
            budget_seconds=settings.retry_budget_seconds,
            backoff_initial_seconds=settings.backoff_initial_seconds,
            backoff_max_seconds=settings.backoff_max_seconds,
        )


class _WaitRetryAfterOrBackoff(wait_base):
    """`Retry-After` when Microsoft gave one (429, 503), else full-jitter exponential backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_random_exponential(
            multiplier=policy.backoff_initial_seconds, max=policy.backoff_max_seconds
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, PartnerCenterError) and error.retry_after is not None:
            return error.retry_after
        return float(self._backoff(retry_state))


class _StopOnAttemptsOrBudget(stop_base):
    """Stop when attempts run out or the next wait would overrun the budget."""

    def __init__(self, policy: RetryPolicy, clock: Clock, started: float | None = None) -> None:
        self._policy = policy
        self._clock = clock
        self._started = clock() if started is None else started

    def __call__(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self._policy.max_attempts:
            return True
        elapsed = self._clock() - self._started
        return elapsed + retry_state.upcoming_sleep > self._policy.budget_seconds


def _log_retry(retry_state: RetryCallState) -> None:
    outcome = retry_state.outcome
    error = outcome.exception() if outcome is not None else None
    _log.warning(
        "partner_center.retry",
        attempt=retry_state.attempt_number,
        wait_seconds=round(retry_state.upcoming_sleep, 3),
        error=repr(error),
    )


def retrying(
    policy: RetryPolicy,
    *,
    clock: Clock,
    sleep: Sleep,
    retry_on: Callable[[BaseException], bool] = is_retryable,
    started: float | None = None,
) -> AsyncRetrying:
    """A fresh tenacity controller for one logical call; its budget started at `started` on
    `clock` (default: now)."""
    return AsyncRetrying(
        retry=retry_if_exception(retry_on),
        wait=_WaitRetryAfterOrBackoff(policy),
        stop=_StopOnAttemptsOrBudget(policy, clock, started),
        sleep=sleep,
        before_sleep=_log_retry,
        reraise=True,
    )
