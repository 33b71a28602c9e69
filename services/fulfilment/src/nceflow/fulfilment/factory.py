"""Fulfilment's composition root: every process builds its parts here, from settings.

The service (`app.py`'s lifespan) and the operator's commands (`ops.py`: status, replay) wire
Redis, the saga store and the rest the same way, so a setting (a timeout, a key prefix, the
lease) means the same thing in each; nothing else constructs these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from nceflow.fulfilment.adapters.partner_center_steps import PartnerCenterSteps, PartnerClients
from nceflow.fulfilment.adapters.saga_store import SagaStore
from nceflow.fulfilment.service import SagaTiming
from nceflow.fulfilment.settings import Settings
from nceflow.runtime.handoff import CredentialsHandoff
from nceflow.runtime.redis_client import redis_from_url
from nceflow.runtime.shutdown import stop_within


def redis_client(settings: Settings) -> Redis:
    """Redis with timeouts: a dead Redis fails the call (the consumer nacks, a running saga's
    claim comes due again) instead of hanging; commands still leave at once (no Task each)."""
    return redis_from_url(
        settings.redis.url,
        socket_timeout=settings.redis_socket_timeout_seconds,
        socket_connect_timeout=settings.redis_socket_timeout_seconds,
    )


def saga_store(settings: Settings, redis: Redis) -> SagaStore:
    """The saga store for these settings."""
    return SagaStore(
        redis,
        settings.redis,
        lease_ttl=timedelta(seconds=settings.lease_ttl_seconds),
        retention=settings.retention,
    )


def saga_timing(settings: Settings) -> SagaTiming:
    """The saga's waits, from settings."""
    return SagaTiming(
        retry=settings.retry_policy,
        relationship_wait=settings.relationship_wait,
        relationship_recheck=timedelta(seconds=settings.relationship_recheck_seconds),
        follow_order_for=settings.follow_order_for,
        follow_poll=timedelta(seconds=settings.follow_poll_seconds),
    )


def partner_clients(settings: Settings) -> PartnerClients:
    """A Partner Center client per transacting partner, each budget shared by every process."""
    return PartnerClients.from_settings(
        settings.partner_center,
        settings.partners,
        budget_redis_url=settings.redis.url,
        budget_key_prefix=f"{settings.redis.key_prefix}:fulfilment:pc-budget",
    )


def partner_center_steps(
    settings: Settings, redis: Redis, clients: PartnerClients
) -> PartnerCenterSteps:
    """The saga's Partner Center steps (a new tenant's admin password goes to the handoff)."""
    handoff = CredentialsHandoff(redis, settings.redis.key_prefix, settings.handoff)
    return PartnerCenterSteps(clients, handoff)


@dataclass(frozen=True)
class Standalone:
    """What a process other than the service needs: the operator's commands."""

    settings: Settings
    redis: Redis
    store: SagaStore


@asynccontextmanager
async def standalone(settings: Settings | None = None) -> AsyncIterator[Standalone]:
    """Redis and the saga store for one command, closed when it ends."""
    settings = settings or Settings()
    redis = redis_client(settings)
    try:
        yield Standalone(settings, redis, saga_store(settings, redis))
    finally:
        await stop_within("closing redis", redis.aclose())
