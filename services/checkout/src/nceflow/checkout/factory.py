"""How checkout is put together: every adapter built from settings, in one place.

The app's lifespan (`app.py`), the standalone relay (`relay.py`) and any command that needs the
service build their parts here, so there is one wiring of the store, the clients and the use
cases, not one per entry point.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from redis.asyncio import Redis

from nceflow.checkout.adapters.catalog_client import CatalogClient
from nceflow.checkout.adapters.kafka import KafkaPublisher
from nceflow.checkout.adapters.microsoft_sign_in import MicrosoftSignIn
from nceflow.checkout.adapters.outbox_relay import OutboxRelay, RelaySettings
from nceflow.checkout.adapters.partner_center import PartnerCenterChecks
from nceflow.checkout.adapters.redis_store import DraftStore, Keys
from nceflow.checkout.domain.order import RedeliveryPolicy
from nceflow.checkout.drafts import DraftService
from nceflow.checkout.metrics import Metrics
from nceflow.checkout.orders import OrderService
from nceflow.checkout.resellers import ResellerDirectory, load_directory
from nceflow.checkout.settings import Settings, TenantDomainCheck
from nceflow.runtime.handoff import CredentialsHandoff
from nceflow.runtime.redis_client import redis_from_url
from nceflow.runtime.shutdown import stop_within


def redis_client(settings: Settings, *, blocking_ms: int = 0) -> Redis:
    """A Redis client that fails fast (socket timeouts) instead of hanging when Redis is down;
    `blocking_ms` extends the read timeout for a client that blocks on streams (the relay)."""
    return redis_from_url(
        settings.redis.url,
        socket_timeout=settings.redis_socket_timeout_seconds + blocking_ms / 1000,
        socket_connect_timeout=settings.redis_socket_timeout_seconds,
        max_connections=settings.redis_max_connections,
        health_check_interval=30,
    )


def draft_store(settings: Settings, redis: Redis) -> DraftStore:
    """The draft repository in Redis."""
    return DraftStore(
        redis, Keys(settings.redis.key_prefix), retention=settings.closed_draft_retention
    )


def relay_settings(settings: Settings) -> RelaySettings:
    """The relay's tuning from the service settings."""
    return RelaySettings(
        batch_size=settings.relay_batch_size,
        block_ms=settings.relay_block_ms,
        claim_idle_ms=settings.relay_claim_idle_ms,
        claim_interval_seconds=settings.relay_claim_interval_seconds,
    )


def outbox_relay(settings: Settings, redis: Redis, publisher: KafkaPublisher) -> OutboxRelay:
    """A relay of every outbox shard to Kafka (`redis` blocks on the streams: its own client)."""
    return OutboxRelay(redis, Keys(settings.redis.key_prefix), publisher, relay_settings(settings))


@dataclass(frozen=True)
class Checkout:
    """The use cases and what they were built on (for the lifespan's readiness and metrics)."""

    settings: Settings
    directory: ResellerDirectory
    redis: Redis
    store: DraftStore
    drafts: DraftService
    orders: OrderService


@asynccontextmanager
async def checkout(
    settings: Settings, directory: ResellerDirectory | None = None, metrics: Metrics | None = None
) -> AsyncIterator[Checkout]:
    """The checkout use cases over Redis, the catalog, Partner Center and Microsoft's sign-in;
    every client closed when the block ends."""
    directory = directory or load_directory(settings.resellers_file)
    redis = redis_client(settings)
    store = draft_store(settings, redis)
    catalog_http = httpx.AsyncClient(
        base_url=settings.catalog_url, timeout=settings.catalog_timeout_seconds
    )
    partner_center = PartnerCenterChecks(
        directory,
        base_url=settings.partner_center_base_url,
        authority_url=settings.partner_center_authority_url,
        rate_limit_per_minute=settings.partner_center_rate_limit_per_minute,
        budget_redis_url=settings.redis.url,
        budget_key_prefix=f"{settings.redis.key_prefix}:checkout:pc-budget",
    )
    sign_in_http = httpx.AsyncClient(timeout=settings.microsoft_sign_in_timeout_seconds)
    sign_in = MicrosoftSignIn(
        authority_url=settings.microsoft_sign_in_authority_url
        or settings.partner_center_authority_url,
        client_id=settings.microsoft_sign_in_client_id,
        client_secret=settings.microsoft_sign_in_client_secret,
        http=sign_in_http,
    )
    redelivery = RedeliveryPolicy(
        first=settings.redelivery_after, most=settings.redelivery_max_wait
    )
    drafts = DraftService(
        store,
        directory,
        CatalogClient(catalog_http),
        partner_center,
        idle_timeout=settings.draft_idle_timeout,
        require_tenant_match=settings.tenant_domain_check is TenantDomainCheck.REQUIRE,
        redelivery=redelivery,
        sign_in=sign_in,
        max_open_drafts=settings.max_open_drafts_per_account,
        lookups_per_minute=settings.tenant_lookups_per_minute,
    )
    orders = OrderService(
        store,
        directory,
        redelivery=redelivery,
        on_redelivered=metrics.reemits.inc if metrics is not None else None,
        handoff=CredentialsHandoff(redis, settings.redis.key_prefix, settings.handoff),
    )
    try:
        yield Checkout(settings, directory, redis, store, drafts, orders)
    finally:
        await stop_within("closing Partner Center clients", partner_center.aclose())
        await stop_within("closing the catalog client", catalog_http.aclose())
        await stop_within("closing the Microsoft sign-in client", sign_in_http.aclose())
        await stop_within("closing redis", redis.aclose())
