"""A service's shutdown with a deadline for every step.

A stop that never returns (a Kafka client waiting on a coordinator that went away, a task that
swallows its cancellation) must not hold the whole process: the orchestrator's grace period then
ends in SIGKILL with nothing closed in order. Each step gets its own time; an overrun is logged
and abandoned, and the shutdown goes on with the next step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import structlog

_log = structlog.get_logger("nceflow.shutdown")


async def stop_within(what: str, work: Awaitable[object], seconds: float = 5.0) -> bool:
    """Wait at most `seconds` for one shutdown step; whether it finished without error.

    The step runs as a task of its own and is only waited for, so even one that ignores
    cancellation cannot stretch the deadline (it is cancelled and left behind)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        _log.warning("shutdown.step_overran", step=what, seconds=seconds)
        return False
    if task.cancelled():
        return False
    error = task.exception()
    if error is not None:
        _log.warning("shutdown.step_failed", step=what, error=f"{type(error).__name__}: {error}")
        return False
    return True
