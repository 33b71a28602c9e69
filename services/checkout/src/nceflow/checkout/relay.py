"""Running the outbox relay: alone (`python -m nceflow.checkout.relay`) or on a thread of the API.

Standalone is useful to scale the relay apart from the API, or to drain the outbox while the API
is down. Inside the service the relay runs on a thread with an event loop of its own: on the API's
loop each of its awaits queued behind every request continuation ready at that moment, so with
the API saturated an event waited 0.2-0.5 s between commit and publish. On its own loop it waits
only for the GIL (at most the interpreter's switch interval per hand-over, lowered to 0.5 ms while
the relay thread runs; see `RelayThread.start`). Any number of
relays, standalone or inside the service, can run at once: they share the work through the
outbox streams' consumer group.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Callable

import structlog

from nceflow.checkout.adapters.kafka import KafkaPublisher
from nceflow.checkout.adapters.outbox_relay import OutboxRelay
from nceflow.checkout.factory import outbox_relay, redis_client
from nceflow.checkout.settings import Settings
from nceflow.runtime.environment import load_settings
from nceflow.runtime.logging import configure_logging

_log = structlog.get_logger("nceflow.checkout.relay")

_SWITCH_INTERVAL_SECONDS = 0.0005


async def run_relay(
    settings: Settings, *, on_start: Callable[[OutboxRelay], None] | None = None
) -> None:
    """Relay the outbox until the relay's `stop()`; `on_start` gets the relay to stop it with."""
    redis = redis_client(settings, blocking_ms=settings.relay_block_ms)
    publisher = KafkaPublisher(settings.kafka, client_id="nceflow-checkout-relay")
    relay = outbox_relay(settings, redis, publisher)
    if on_start is not None:
        on_start(relay)
    _log.info("outbox relay started", consumer=relay.name)
    try:
        await relay.run()
    finally:
        await publisher.stop()
        await redis.aclose()
        _log.info("outbox relay stopped", published=relay.published)


class RelayThread:
    """The outbox relay on a daemon thread with its own event loop (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._relay: OutboxRelay | None = None
        self._stop_requested = False
        self._thread = threading.Thread(target=self._main, name="outbox-relay", daemon=True)

    def start(self) -> None:
        """Start relaying in the background."""
        # Every socket call of the relay gives up the GIL and then waits for the API thread to
        # hand it back, for up to the switch interval (5 ms by default) each time, several times
        # per event. At 0.5 ms, 64 customers saturating the API saw commit-to-subscriber p99
        # drop from ~135 ms (1 ms) to ~85 ms, for ~5 % fewer requests per second (0.25 ms: ~65
        # ms, ~10 % fewer). The interval only applies while the relay asks for the GIL.
        sys.setswitchinterval(min(sys.getswitchinterval(), _SWITCH_INTERVAL_SECONDS))
        self._thread.start()

    def is_alive(self) -> bool:
        """Whether the relay is still running (False after `stop()` or an unexpected error)."""
        return self._thread.is_alive()

    def stop(self, timeout: float) -> bool:
        """Let the relay finish its round and return; False if it is still running after
        `timeout` seconds. Blocks: call it through `asyncio.to_thread` from a loop."""
        with self._lock:
            self._stop_requested = True
            if self._loop is not None and self._relay is not None:
                self._loop.call_soon_threadsafe(self._relay.stop)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _main(self) -> None:
        try:
            asyncio.run(run_relay(self._settings, on_start=self._started))
        except Exception:
            _log.exception("outbox relay thread ended by an error")
        finally:
            with self._lock:  # its loop is closed: nothing may be scheduled on it any more
                self._loop = None

    def _started(self, relay: OutboxRelay) -> None:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._relay = relay
            if self._stop_requested:  # stopped before it had started
                relay.stop()


async def _run_until_signalled(settings: Settings) -> None:
    loop = asyncio.get_running_loop()

    def on_start(relay: OutboxRelay) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, relay.stop)

    await run_relay(settings, on_start=on_start)


def main() -> None:
    """Relay until SIGINT or SIGTERM, then finish the current round and stop."""
    settings = load_settings(Settings, "nceflow.checkout.relay")
    configure_logging(json=settings.log_json, level=settings.log_level)
    asyncio.run(_run_until_signalled(settings))


if __name__ == "__main__":
    main()
