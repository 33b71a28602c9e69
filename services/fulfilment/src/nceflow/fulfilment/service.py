"""Use cases of the fulfilment service: record a confirmed order, run its saga, re-drive it.

How an order moves (and why the Kafka partition never waits for Partner Center):

1. `accept_many` records the saga, its `FulfilmentStarted` and a due time of *now* in one Redis
   transaction. Only then is the Kafka offset committed: the order is durable before the message
   is gone, and the consumer is free for the next message at once.
2. `SagaRunner` (the worker, `worker.py`) claims due orders from the Redis schedule and runs
   each saga step by step, saving state and events after every step. A retryable failure
   (429, 5xx, timeouts, an unknown checkout outcome) parks the order: the saga gets a due time
   with backoff (at least Microsoft's `Retry-After`) and the worker moves on to other orders.
3. Any process of the consumer group may pick a due order up; a lease in Redis makes sure only
   one runs it at a time, and a crashed worker's orders come due again after the visibility
   timeout. A retry topic would also work, but a sorted set gives exact due times, re-checks
   without re-publishing the order, and one place that `status` and `replay` read.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import structlog

from nceflow.fulfilment.domain import failures
from nceflow.fulfilment.domain.outcomes import (
    AvailabilityGone,
    CartExpired,
    CheckedOut,
    Followed,
    McaNotOnRecord,
    RelationshipNotVisible,
    StepFailed,
    StepRetryable,
)
from nceflow.fulfilment.domain.saga import EVENT_STEP, RetryPolicy, Saga, SagaStep
from nceflow.fulfilment.metrics import Metrics
from nceflow.fulfilment.repository import (
    Claimed,
    Created,
    Lease,
    LeaseLostError,
    SagaRepository,
)
from nceflow.runtime.clock import Clock, utc_now
from nceflow.runtime.outbox import OutboxRecord
from nceflow.schemas import FulfilmentEvent, OrderConfirmed
from nceflow.schemas.envelope import FULFILMENT_SOURCE, to_kafka

_log = structlog.get_logger(__name__)

MarkAttempted = Callable[[], Awaitable[None]]


def new_request_id() -> str:
    return str(uuid.uuid4())


class EventPublisher(Protocol):
    """Publishes encoded events in order, returning once the broker has them all."""

    async def publish_events(self, records: Sequence[OutboxRecord]) -> None: ...


class Steps(Protocol):
    """The saga's steps against Partner Center (`adapters.partner_center_steps`)."""

    async def validate_reseller(self, saga: Saga) -> None: ...

    async def find_customer(self, saga: Saga) -> str: ...

    async def verify_relationship(self, saga: Saga) -> None: ...

    async def create_customer(
        self, saga: Saga, mark_attempted: MarkAttempted
    ) -> tuple[str, bool]: ...

    async def attest_mca(self, saga: Saga) -> bool: ...

    async def add_qualification(self, saga: Saga) -> bool: ...

    async def refresh_availability(self, saga: Saga) -> list[str]: ...

    async def create_cart(self, saga: Saga) -> tuple[str, datetime | None]: ...

    async def check_out(
        self, saga: Saga, mark_attempted: MarkAttempted, now: datetime
    ) -> CheckedOut: ...

    async def follow_order(self, saga: Saga) -> Followed: ...


@dataclass(frozen=True, slots=True)
class SagaTiming:
    """The waits of the saga (from settings)."""

    retry: RetryPolicy
    relationship_wait: timedelta
    relationship_recheck: timedelta
    follow_order_for: timedelta
    follow_poll: timedelta


class Accepted(StrEnum):
    """What `accept` did with an `OrderConfirmed`."""

    STARTED = "started"
    DUPLICATE_EVENT = "duplicate_event"
    DUPLICATE_ORDER = "duplicate_order"


def encode(events: Sequence[FulfilmentEvent]) -> list[OutboxRecord]:
    """Encode events once, with their CloudEvents ids fixed, so a re-publish repeats the id."""
    records = []
    for event in events:
        record = to_kafka(event, source=FULFILMENT_SOURCE)
        records.append(OutboxRecord(key=record.key, value=record.value, headers=record.headers))
    return records


class FulfilmentService:
    """Records confirmed orders and runs their sagas."""

    def __init__(
        self,
        store: SagaRepository,
        steps: Steps,
        publisher: EventPublisher,
        timing: SagaTiming,
        metrics: Metrics,
        *,
        clock: Clock = utc_now,
        new_id: Callable[[], str] = new_request_id,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._steps = steps
        self._publisher = publisher
        self._timing = timing
        self._metrics = metrics
        self._clock = clock
        self._new_id = new_id
        self._jitter = jitter
        # Per order being run: how many events at the head of its outbox are published already.
        self._published: dict[str, int] = {}

    # ------------------------------------------------------------------ intake

    async def accept_many(self, confirmed: Sequence[tuple[OrderConfirmed, str]]) -> list[Accepted]:
        """Record confirmed orders, given with their CloudEvents ids (idempotent by event id and
        by order id), in one Redis round trip for all of them."""
        now = self._clock()
        new = []
        for order, event_id in confirmed:
            saga, events = Saga.start(order, event_id=event_id, now=now, new_id=self._new_id)
            new.append((saga, encode(events), now))
        results = []
        for (order, event_id), created in zip(
            confirmed, await self._store.create_many(new), strict=True
        ):
            if created is Created.DUPLICATE_EVENT:
                self._metrics.duplicates.inc()
                results.append(Accepted.DUPLICATE_EVENT)
            elif created is Created.DUPLICATE_ORDER:
                self._metrics.duplicates.inc()
                _log.info("fulfilment.duplicate_order", order_id=order.order_id, event_id=event_id)
                results.append(Accepted.DUPLICATE_ORDER)
            else:
                self._metrics.accepted.inc()
                _log.info("fulfilment.order_accepted", order_id=order.order_id)
                results.append(Accepted.STARTED)
        return results

    async def answer_known(self, order_ids: Sequence[str]) -> int:
        """Publish where each known order stands (`Saga.current_state`): checkout re-emits
        `OrderConfirmed` when it hears nothing, because a broker may have forgotten the first
        one or fulfilment's answer. Runs no step: the saga goes on at its own pace, and a stale
        answer (a step finishing meanwhile) is overtaken by the saga's own next event. Returns
        how many events were published."""
        sagas = await self._store.load_many(list(dict.fromkeys(order_ids)))
        records = [record for saga in sagas for record in encode(saga.current_state())]
        if records:
            await self._publisher.publish_events(records)
            self._metrics.answers.inc(len(sagas))
            self._metrics.events_published.inc(len(records))
            for saga in sagas:
                _log.info(
                    "fulfilment.known_order_answered",
                    order_id=saga.order_id,
                    correlation_id=saga.order.correlation_id,
                    status=saga.status.value,
                )
        return len(records)

    # ------------------------------------------------------------------ running

    async def run(self, claimed: Claimed) -> bool:
        """Run the saga from where it stands (as read under its lease) until it parks or
        finishes. Returns True when the saga finished and its lease was given back with the
        last write."""
        lease, order_id = claimed.lease, claimed.lease.order_id
        saga, pending = claimed.decode()
        if saga is None:
            await self._store.unschedule(order_id)
            return False
        structlog.contextvars.bind_contextvars(
            order_id=order_id, correlation_id=saga.order.correlation_id
        )
        try:
            await self._publish(order_id, pending)  # left by a crash or a failed publish
            finished = await self._run(saga, lease)
            if published := self._published.pop(order_id, 0):
                await self._store.trim_published(lease, published)  # parked: tidy the outbox
            return finished
        except asyncio.CancelledError:
            # The process is stopping: drop what this run published from the outbox, so that
            # the process resuming the saga does not publish it a second time.
            if published := self._published.pop(order_id, 0):
                with contextlib.suppress(Exception):
                    await self._store.trim_published(lease, published)
            raise
        finally:
            self._published.pop(order_id, None)
            structlog.contextvars.unbind_contextvars("order_id", "correlation_id")

    async def _run(self, saga: Saga, lease: Lease) -> bool:
        """Steps until the saga parks (False) or is finished (True)."""
        while True:
            step = saga.next_step()
            if step is None:
                await self._finish(saga, lease)
                return True
            now = self._clock()
            early = saga.next_attempt_at is not None and saga.next_attempt_at > now
            if step is SagaStep.FOLLOW_ORDER and early and saga.next_attempt_at is not None:
                # Claimed early (an operator's wake-up): follow the order at its own pace.
                await self._store.save(saga, [], lease, due=saga.next_attempt_at)
                return False
            started = asyncio.get_running_loop().time()
            try:
                events = await self._run_step(saga, step, lease)
            except StepRetryable as exc:
                await self._park(saga, lease, step, exc)
                return False
            except RelationshipNotVisible as exc:
                await self._wait_for_relationship(saga, lease, exc)
                return False
            except StepFailed as exc:
                await self._finish_failed(saga, lease, exc.failure)
                return True
            except McaNotOnRecord as exc:
                if not saga.recheck_mca(self._clock(), self._new_id):
                    await self._finish_failed(saga, lease, exc.failure)
                    return True
                _log.warning("fulfilment.mca_missing_at_checkout")
                await self._save(saga, [], lease, due=None)
                continue
            except CartExpired as exc:
                _log.warning("fulfilment.cart_expired", cart_id=exc.cart_id)
                if not saga.replace_expired_cart(now=self._clock(), new_id=self._new_id):
                    failure = failures.carts_expired(len(saga.replaced_carts))
                    await self._finish_failed(saga, lease, failure)
                    return True
                await self._save(saga, [], lease, due=None)
                continue
            except AvailabilityGone as exc:
                if not saga.availability_gone(now=self._clock(), new_id=self._new_id):
                    await self._finish_failed(saga, lease, exc.failure)
                    return True
                _log.warning("fulfilment.availability_gone", code=exc.failure.code)
                await self._save(saga, [], lease, due=None)
                continue
            finally:
                self._metrics.step_seconds.labels(step.value).observe(
                    asyncio.get_running_loop().time() - started
                )
            if step is SagaStep.FOLLOW_ORDER and not saga.is_finished:
                due = self._clock() + self._timing.follow_poll
                saga.come_back_at(due, self._clock())
                await self._save(saga, events, lease, due=due)
                return False
            await self._save(saga, events, lease, due=None)

    async def _run_step(self, saga: Saga, step: SagaStep, lease: Lease) -> list[FulfilmentEvent]:
        steps = self._steps

        async def mark_customer() -> None:
            saga.mark_customer_create_attempted(self._clock())
            await self._save(saga, [], lease, due=None)

        async def mark_checkout() -> None:
            saga.mark_checkout_attempted(self._clock())
            await self._save(saga, [], lease, due=None)

        if step is SagaStep.VALIDATE_RESELLER:
            await steps.validate_reseller(saga)
            saga.record_reseller_validated(self._clock())
            return []
        if step is SagaStep.FIND_CUSTOMER:
            customer_id = await steps.find_customer(saga)
            return saga.record_customer(
                customer_id, created=False, already_done=True, now=self._clock()
            )
        if step is SagaStep.CREATE_CUSTOMER:
            customer_id, already = await steps.create_customer(saga, mark_customer)
            return saga.record_customer(
                customer_id, created=True, already_done=already, now=self._clock()
            )
        if step is SagaStep.VERIFY_RELATIONSHIP:
            await steps.verify_relationship(saga)
            return saga.record_relationship_verified(self._clock())
        if step is SagaStep.ATTEST_MCA:
            already = await steps.attest_mca(saga)
            return saga.record_mca(already_done=already, now=self._clock())
        if step is SagaStep.ADD_QUALIFICATION:
            already = await steps.add_qualification(saga)
            return saga.record_qualification(already_done=already, now=self._clock())
        if step is SagaStep.REFRESH_AVAILABILITY:
            saga.record_availability(await steps.refresh_availability(saga), now=self._clock())
            return []
        if step is SagaStep.CREATE_CART:
            cart_id, expires_at = await steps.create_cart(saga)
            return saga.record_cart(cart_id, expires_at=expires_at, now=self._clock())
        if step is SagaStep.CHECK_OUT:
            checked_out = await steps.check_out(saga, mark_checkout, self._clock())
            events = saga.record_checkout(
                checked_out.order_ids,
                already_done=checked_out.already_done,
                now=self._clock(),
                follow_for=self._timing.follow_order_for,
                order_errors=checked_out.order_errors,
            )
            self._metrics.placed.inc()
            self._metrics.confirmed_to_placed.observe(
                (self._clock() - saga.started_at).total_seconds()
            )
            if checked_out.completed:
                # The checkout's answer already says the orders are complete: no order to
                # follow (a read would say the same), finish in the same save.
                events += saga.record_provisioning(
                    checked_out.subscription_ids, completed=True, now=self._clock()
                )
            return events
        followed = await steps.follow_order(saga)
        return saga.record_provisioning(
            followed.subscription_ids,
            completed=followed.finished,
            now=self._clock(),
            order_errors=followed.order_errors,
        )

    async def _park(self, saga: Saga, lease: Lease, step: SagaStep, exc: StepRetryable) -> None:
        now = self._clock()
        if exc.answered and step is SagaStep.CHECK_OUT:
            saga.renew_checkout_request_id(self._new_id)
        due = saga.defer(
            exc.description,
            now=now,
            policy=self._timing.retry,
            retry_after=exc.retry_after,
            jitter=self._jitter(),
        )
        if due is None and exc.placed:
            # The cart is Ordered: the order exists and must not be failed (nor bought again).
            # Keep looking for its order ids at the slowest pace; an operator is told.
            due = now + self._timing.retry.max_delay
            saga.come_back_at(due, now)
            _log.error("fulfilment.placed_order_not_listed", error=exc.description)
        if due is None:
            failure = failures.partner_center_unavailable(EVENT_STEP.get(step), exc.description)
            await self._finish_failed(saga, lease, failure)
            return
        self._metrics.parked.labels(step.value).inc()
        _log.info("fulfilment.parked", step=step.value, due=due.isoformat(), error=exc.description)
        await self._save(saga, [], lease, due=due)

    async def _wait_for_relationship(
        self, saga: Saga, lease: Lease, exc: RelationshipNotVisible
    ) -> None:
        now = self._clock()
        left = saga.relationship_wait(now, self._timing.relationship_wait)
        if left is None:
            await self._finish_failed(saga, lease, exc.failure)
            return
        due = now + min(self._timing.relationship_recheck, left)
        saga.come_back_at(due, now)
        _log.info("fulfilment.relationship_not_visible", recheck_at=due.isoformat())
        await self._save(saga, [], lease, due=due)

    async def _finish_failed(self, saga: Saga, lease: Lease, failure: failures.Failure) -> None:
        events = saga.fail(failure, now=self._clock())
        self._metrics.failed.labels(failure.code).inc()
        _log.warning("fulfilment.order_failed", code=failure.code, step=failure.step)
        await self._save(saga, events, lease, due=None)
        await self._finish(saga, lease)

    async def _finish(self, saga: Saga, lease: Lease) -> None:
        """Off the schedule; the outbox events published by the last save are dropped."""
        published = self._published.pop(saga.order_id, 0)
        await self._store.trim_published(lease, published, finished=True)

    async def _save(
        self,
        saga: Saga,
        events: Sequence[FulfilmentEvent],
        lease: Lease,
        *,
        due: datetime | None,
    ) -> None:
        records = encode(events)
        # The same script drops the events the previous save published (no round trip of its own).
        published = self._published.pop(saga.order_id, 0)
        pending = await self._store.save(saga, records, lease, due=due, trim=published)
        if not records:
            return
        if pending == len(records):
            # Only what this save appended is waiting: publish it without reading it back.
            await self._publish(saga.order_id, records)
        else:
            await self._publish(saga.order_id, await self._store.pending_events(saga.order_id))

    async def _publish(self, order_id: str, records: Sequence[OutboxRecord]) -> None:
        """Publish outbox events, oldest first; the next save (or the end of the run) drops
        them from the outbox. A crash in between publishes them again, with the same
        CloudEvents ids (consumers dedupe by id)."""
        if records:
            await self._publisher.publish_events(records)
            self._published[order_id] = len(records)
            self._metrics.events_published.inc(len(records))


__all__ = [
    "Accepted",
    "EventPublisher",
    "FulfilmentService",
    "LeaseLostError",
    "SagaTiming",
    "Steps",
    "encode",
]
