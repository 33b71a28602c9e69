"""`python -m nceflow.checkout.relay` runs the outbox relay alone (no HTTP API).

Useful to scale the relay apart from the API, or to drain the outbox while the API is down. Any
number of relays, standalone or inside the service, can run at once: they share the work through
the outbox streams' consumer group.
"""

from __future__ import annotations

import asyncio
import signal

import structlog

from nceflow.checkout.adapters.kafka import KafkaPublisher
from nceflow.checkout.adapters.outbox_relay import OutboxRelay
from nceflow.checkout.adapters.redis_store import Keys
from nceflow.checkout.app import redis_client, relay_settings
from nceflow.checkout.settings import Settings
from nceflow.runtime.logging import configure_logging

_log = structlog.get_logger("nceflow.checkout.relay")


async def run_relay(settings: Settings) -> None:
    """Relay the outbox until SIGINT or SIGTERM, then finish the current round and stop."""
    redis = redis_client(settings, blocking_ms=settings.relay_block_ms)
    publisher = KafkaPublisher(settings.kafka, client_id="nceflow-checkout-relay")
    relay = OutboxRelay(redis, Keys(settings.redis.key_prefix), publisher, relay_settings(settings))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, relay.stop)
    _log.info("outbox relay started", consumer=relay.name)
    try:
        await relay.run()
    finally:
        await publisher.stop()
        await redis.aclose()
        _log.info("outbox relay stopped", published=relay.published)


def main() -> None:
    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    asyncio.run(run_relay(settings))


if __name__ == "__main__":
    main()
