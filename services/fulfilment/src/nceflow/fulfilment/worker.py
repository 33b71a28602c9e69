"""The worker that runs due sagas from the Redis schedule, a bounded number at a time.

One per process. It claims due orders (pushing their due time out by the visibility timeout),
takes each saga's lease and runs it as its own task. At most `max_in_flight` sagas run at once;
the rest wait in the schedule, where any process of the group can pick them up. A lease is
renewed while its saga runs; a runner that loses it stops before its next write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from nceflow.fulfilment.metrics import Metrics
from nceflow.fulfilment.repository import Claimed, Lease, LeaseLostError, SagaRepository
from nceflow.fulfilment.service import FulfilmentService

_log = structlog.get_logger(__name__)


class SagaWorker:
    """Polls the schedule and runs due sagas with bounded concurrency."""

    def __init__(
        self,
        service: FulfilmentService,
        store: SagaRepository,
        metrics: Metrics,
        *,
        max_in_flight: int,
        poll_interval: float,
        lease_ttl: float,
        visibility: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._service = service
        self._store = store
        self._metrics = metrics
        self._max = max_in_flight
        self._poll = poll_interval
        self._lease_ttl = lease_ttl
        self._visibility = visibility
        self._clock = clock
        self._running: dict[str, asyncio.Task[None]] = {}
        # The leases of the running sagas, renewed together by one keeper task.
        self._leases: dict[str, Lease] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self.healthy = True

    def wake(self) -> None:
        """Look at the schedule now (a new order was accepted)."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="fulfilment-worker")
        self._keeper = asyncio.create_task(self._keep_leases(), name="fulfilment-leases")

    async def stop(self) -> None:
        """Stop claiming, cancel running sagas and hand them back (lease released, due now):
        they resume from their last save in another process of the group."""
        for task in (self._task, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self._claim_and_start()
                self.healthy = True
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis unreachable: keep trying, report unready meanwhile
                self.healthy = False
                _log.exception("fulfilment.worker_poll_failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll)

    async def _claim_and_start(self) -> None:
        free = self._max - len(self._running)
        if free <= 0:
            return
        claimed = await self._store.claim_due(self._clock(), free, self._visibility)
        fresh = [order_id for order_id in claimed if order_id not in self._running]
        for order_id, claim in zip(fresh, await self._store.acquire_and_load(fresh), strict=True):
            if claim is None:
                continue  # another worker runs it; it re-schedules the order when it stops
            task = asyncio.create_task(self._run(claim), name=f"saga-{order_id}")
            self._running[order_id] = task
            self._metrics.in_flight.set(len(self._running))
        if len(claimed) == free:
            self._wake.set()  # more may be due: do not wait a poll period

    async def _run(self, claim: Claimed) -> None:
        lease, order_id = claim.lease, claim.lease.order_id
        self._leases[order_id] = lease
        released = handed_back = False
        try:
            released = await self._service.run(claim)
        except LeaseLostError:
            _log.warning("fulfilment.lease_lost", order_id=order_id)
        except asyncio.CancelledError:
            handed_back = True  # the process is stopping
            raise
        except Exception:
            # A bug or an infrastructure failure: the claim's visibility timeout brings it back.
            _log.exception("fulfilment.saga_run_failed", order_id=order_id)
        finally:
            self._leases.pop(order_id, None)
            if not released:
                with contextlib.suppress(Exception):
                    await self._store.release(lease)
                    if handed_back:
                        # Due now, lease free: another process of the group resumes it from its
                        # last save at once, not after the claim's visibility timeout (a rolling
                        # deploy would otherwise hold every in-flight order that long).
                        await self._store.schedule(order_id, self._clock())
            self._running.pop(order_id, None)
            self._metrics.in_flight.set(len(self._running))
            self._wake.set()

    async def _keep_leases(self) -> None:
        """Renew every running saga's lease each third of its TTL, all in one round trip. A
        lease found lost is no longer renewed: its runner stops at its next (fenced) write."""
        while True:
            await asyncio.sleep(self._lease_ttl / 3)
            leases = list(self._leases.values())
            try:
                renewed = await self._store.renew_many(leases)
            except Exception:  # Redis unreachable: the runners' writes fail the same way
                _log.exception("fulfilment.lease_renewal_failed")
                continue
            for lease, kept in zip(leases, renewed, strict=True):
                if not kept and self._leases.get(lease.order_id) is lease:
                    del self._leases[lease.order_id]
