"""Operator functions behind `nceflow fulfilment status` and `nceflow fulfilment replay`.

Both connect to Redis (and Kafka for dead letters) from the same settings as the service, do
their work and disconnect; the running service picks re-driven orders up from the schedule.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel
from redis.asyncio import Redis

from nceflow.fulfilment.adapters.kafka_publisher import KafkaPublisher
from nceflow.fulfilment.adapters.saga_store import SagaStore
from nceflow.fulfilment.domain.saga import FailureRecord, Saga, SagaStatus, SagaStep
from nceflow.fulfilment.factory import standalone
from nceflow.fulfilment.repository import Lease
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import topics
from nceflow.schemas.dead_letter import DLQ_HEADERS, DLQ_TOPIC

_log = structlog.get_logger("nceflow.fulfilment.ops")


class StepView(BaseModel):
    """One completed step."""

    step: SagaStep
    at: datetime
    already_done: bool


class SagaView(BaseModel):
    """A saga's progress, as `nceflow fulfilment status ORDER_ID` shows it (no personal data)."""

    order_id: str
    correlation_id: str
    status: SagaStatus
    next_step: SagaStep | None
    steps: list[StepView]
    customer_id: str | None
    cart_id: str | None
    order_ids: list[str]
    subscription_ids: list[str]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    failure: FailureRecord | None
    started_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, saga: Saga) -> SagaView:
        return cls(
            order_id=saga.order_id,
            correlation_id=saga.order.correlation_id,
            status=saga.status,
            next_step=saga.next_step(),
            steps=[
                StepView(step=r.step, at=r.at, already_done=r.already_done) for r in saga.history
            ],
            customer_id=saga.customer_id,
            cart_id=saga.cart.cart_id if saga.cart else None,
            order_ids=saga.order_ids,
            subscription_ids=saga.subscription_ids,
            attempts=saga.attempts,
            next_attempt_at=saga.next_attempt_at,
            last_error=saga.last_error,
            failure=saga.failure,
            started_at=saga.started_at,
            updated_at=saga.updated_at,
        )


@dataclass
class ReplayReport:
    """What `replay` did."""

    redriven_orders: list[str] = field(default_factory=list)
    replayed_dead_letters: int = 0
    skipped_dead_letters: int = 0
    refused_topics: list[str] = field(default_factory=list)
    """Topics dead letters named that are not a topic this service reads: never sent to."""
    dry_run: bool = False
    """Nothing was sent, saved or moved: the counts say what a replay would do."""


async def status(order_id: str, settings: Settings | None = None) -> SagaView | None:
    """The progress of one order's saga, or None when fulfilment never saw the order."""
    async with standalone(settings) as parts:
        saga = await parts.store.load(order_id)
    return None if saga is None else SagaView.of(saga)


async def replay(
    settings: Settings | None = None,
    *,
    order_id: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    """Re-drive work that stopped (with `dry_run`, only say what would be re-driven).

    With `order_id`: a failed or parked saga of that order runs again from the step that failed
    (its stored request ids make repeats safe; a placed order is never placed again). If
    fulfilment never recorded the order, its dead letters (by Kafka key) are replayed instead.

    Without: every dead letter not replayed yet (a position per partition kept in Redis) is sent
    back to its original topic with its original value, key and headers, up to `limit`. A record
    that is still invalid is dead-lettered again by the service, with the latest reason. A dead
    letter is only ever sent to a topic this service reads (`replay_topics`): the topic it names
    is data, and the dead-letter topic must not become a way to write to any topic.
    """
    settings = settings or Settings()
    report = ReplayReport(dry_run=dry_run)
    if order_id is not None and dry_run:
        saga = await _load(settings, order_id)
        if saga is not None:
            if not saga.is_finished or saga.failure is not None:
                report.redriven_orders.append(order_id)
            return report
    elif order_id is not None:
        async with standalone(settings) as parts:
            store = parts.store
            (claimed,) = await store.acquire_and_load([order_id])
            if claimed is None:
                return report  # running right now: nothing to re-drive
            try:
                saga, _ = claimed.decode()
                redriven = saga is not None and await _redrive(store, saga, claimed.lease)
            finally:
                await store.release(claimed.lease)
            if redriven:
                # A worker that claimed the order while this held its lease skipped it and
                # pushed it out by the visibility timeout: make it due now, lease free.
                await store.schedule(order_id, datetime.now(UTC))
                report.redriven_orders.append(order_id)
            if saga is not None:
                return report
    await _replay_dead_letters(settings, report, order_id, limit)
    return report


def replay_topics(settings: Settings) -> frozenset[str]:
    """The topics a dead letter may be sent back to: the ones this service consumes."""
    return frozenset({settings.kafka.topic(topics.CHECKOUT_ORDER_EVENTS)})


async def _load(settings: Settings, order_id: str) -> Saga | None:
    async with standalone(settings) as parts:
        return await parts.store.load(order_id)


async def _redrive(store: SagaStore, saga: Saga, lease: Lease) -> bool:
    """Re-drive `saga`, read under `lease`: a saga read before taking the lease could be older
    than what a worker saved meanwhile, and saving it would undo that progress (a cart id
    forgotten is a second cart)."""
    now = datetime.now(UTC)
    if saga.redrive(now=now, new_id=lambda: str(uuid.uuid4())):
        await store.save(saga, [], lease, due=now)
        return True
    if not saga.is_finished:
        await store.schedule(saga.order_id, now)
        return True
    return False


async def _replay_dead_letters(
    settings: Settings,
    report: ReplayReport,
    order_id: str | None,
    limit: int | None,
) -> None:
    """Read the dead-letter topic from the replay position (kept in Redis per partition, so a
    second replay never sends a dead letter again) up to its current end."""
    publisher = KafkaPublisher(settings.kafka, client_id="nceflow-fulfilment-replay")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        **settings.kafka.client_options(),
    )
    allowed = replay_topics(settings)
    async with standalone(settings) as parts:
        positions = parts.store.key("replay", publisher.dead_letter_topic)
        try:
            await publisher.start()
            await consumer.start()
            await _replay_from(
                parts.redis, positions, publisher, consumer, report, allowed, limit, order_id
            )
        finally:
            await consumer.stop()
            await publisher.stop()


async def _replay_from(
    redis: Redis,
    positions: str,
    publisher: KafkaPublisher,
    consumer: AIOKafkaConsumer,
    report: ReplayReport,
    allowed: frozenset[str],
    limit: int | None,
    order_id: str | None,
) -> None:
    """Send each dead letter from the stored positions up to the ends found at the start."""
    partitions = consumer.partitions_for_topic(publisher.dead_letter_topic) or set()
    assigned = [TopicPartition(publisher.dead_letter_topic, p) for p in sorted(partitions)]
    if not assigned:
        return
    consumer.assign(assigned)
    ends = await consumer.end_offsets(assigned)
    for tp in assigned:
        stored = await redis.hget(positions, str(tp.partition))
        consumer.seek(tp, int(stored) if stored is not None else 0)
    remaining = {tp for tp in assigned if await consumer.position(tp) < ends[tp]}
    while remaining and (limit is None or report.replayed_dead_letters < limit):
        batch = await consumer.getmany(*remaining, timeout_ms=1000, max_records=100)
        for tp, records in batch.items():
            for record in records:
                if limit is not None and report.replayed_dead_letters >= limit:
                    break
                if record.offset >= ends[tp]:
                    continue
                await _replay_one(publisher, record, order_id, report, allowed)
                if not report.dry_run:
                    await redis.hset(positions, str(tp.partition), record.offset + 1)
        remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}


async def _replay_one(
    publisher: KafkaPublisher,
    record: Any,
    order_id: str | None,
    report: ReplayReport,
    allowed: frozenset[str],
) -> None:
    headers = list(record.headers or ())
    original = next((v.decode(errors="replace") for k, v in headers if k == DLQ_TOPIC), None)
    wanted = order_id is None or (record.key or b"").decode(errors="replace") == order_id
    if original is None or not wanted:
        report.skipped_dead_letters += 1
        return
    if original not in allowed:
        report.skipped_dead_letters += 1
        if original not in report.refused_topics:
            report.refused_topics.append(original[:256])
        _log.warning("fulfilment.replay_refused_topic", topic=original[:256])
        return
    if report.dry_run:
        report.replayed_dead_letters += 1
        return
    await publisher.send_raw(
        original,
        value=record.value,
        key=record.key,
        headers=[(k, v) for k, v in headers if k not in DLQ_HEADERS],
    )
    report.replayed_dead_letters += 1


def status_sync(order_id: str, settings: Settings | None = None) -> SagaView | None:
    """`status` for synchronous callers (the typer CLI)."""
    return asyncio.run(status(order_id, settings))


def replay_sync(
    settings: Settings | None = None,
    *,
    order_id: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    """`replay` for synchronous callers (the typer CLI)."""
    return asyncio.run(replay(settings, order_id=order_id, limit=limit, dry_run=dry_run))
