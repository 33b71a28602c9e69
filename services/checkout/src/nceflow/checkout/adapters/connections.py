"""Clients built from the service settings, shared by the API process and the standalone relay."""

from __future__ import annotations

from redis.asyncio import Redis

from nceflow.checkout.adapters.outbox_relay import RelaySettings
from nceflow.checkout.settings import Settings
from nceflow.runtime.redis_client import redis_from_url


def redis_client(settings: Settings, *, blocking_ms: int = 0) -> Redis:
    """A Redis client that fails fast (socket timeouts) instead of hanging when Redis is down."""
    return redis_from_url(
        settings.redis.url,
        socket_timeout=settings.redis_socket_timeout_seconds + blocking_ms / 1000,
        socket_connect_timeout=settings.redis_socket_timeout_seconds,
        max_connections=settings.redis_max_connections,
        health_check_interval=30,
    )


def relay_settings(settings: Settings) -> RelaySettings:
    """The relay's tuning from the service settings."""
    return RelaySettings(
        batch_size=settings.relay_batch_size,
        block_ms=settings.relay_block_ms,
        claim_idle_ms=settings.relay_claim_idle_ms,
        claim_interval_seconds=settings.relay_claim_interval_seconds,
    )
