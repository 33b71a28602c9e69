"""`replay --order`: a re-driven saga is due at once, whatever a worker did meanwhile."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from nceflow.fulfilment import factory, ops
from nceflow.fulfilment.adapters.saga_store import SagaStore
from nceflow.fulfilment.domain import failures
from nceflow.fulfilment.domain.saga import Saga, SagaStatus
from nceflow.fulfilment.repository import Created, Lease
from nceflow.fulfilment.settings import Settings
from nceflow.testing.fulfilment import existing_tenant_order


async def test_a_worker_claim_during_the_redrive_does_not_delay_the_order(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis = Redis.from_url(settings.redis.url)
    try:
        store = factory.saga_store(settings, redis)
        now = datetime.now(UTC)
        order = existing_tenant_order("ord-redrive-due")
        saga, _ = Saga.start(
            order, event_id="evt-redrive", now=now, new_id=lambda: str(uuid.uuid4())
        )
        saga.fail(failures.domain_taken("taken.onmicrosoft.com"), now=now)
        assert await store.create_many([(saga, [], now)]) == [Created.CREATED]
        await redis.zrem(store.key("schedule"), saga.order_id)  # a failed saga is off it
        visibility = timedelta(seconds=settings.visibility_timeout_seconds)
        claims: list[list[str]] = []

        class ClaimedMeanwhile(SagaStore):
            async def release(self, lease: Lease) -> None:
                # A worker polls the schedule while the re-drive still holds the lease: it
                # claims the order (pushing it out by the visibility timeout) and, finding the
                # lease taken, leaves it.
                claims.append(await self.claim_due(datetime.now(UTC), 10, visibility))
                await super().release(lease)

        monkeypatch.setattr(
            factory,
            "saga_store",
            lambda s, r: ClaimedMeanwhile(
                r,
                s.redis,
                lease_ttl=timedelta(seconds=s.lease_ttl_seconds),
                retention=s.retention,
            ),
        )
        report = await ops.replay(settings, order_id=saga.order_id)
        assert report.redriven_orders == [saga.order_id]
        assert claims == [[saga.order_id]]
        due_ms = await redis.zscore(store.key("schedule"), saga.order_id)
        assert due_ms is not None
        assert due_ms <= datetime.now(UTC).timestamp() * 1000  # due now, not in 30 s
        redriven = await store.load(saga.order_id)
        assert redriven is not None
        assert redriven.status is SagaStatus.IN_PROGRESS
        assert await redis.exists(store.key("lease", saga.order_id)) == 0
    finally:
        await redis.aclose()
