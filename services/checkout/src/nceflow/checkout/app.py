"""The checkout service's FastAPI application factory.

The lifespan builds the service and its clients (`factory.checkout`, the one wiring), one
`AppContext` for the handlers, and starts the background work that runs in every replica: the
outbox relay (on a thread of its own, see `relay.py`), the draft-expiry sweep and the
fulfilment-event consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi.responses import Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from nceflow.checkout.adapters.fulfilment_consumer import (
    FulfilmentEventHandler,
    fulfilment_broker,
)
from nceflow.checkout.api.dev_routes import dev_router
from nceflow.checkout.api.errors import body_too_large, install_error_handlers
from nceflow.checkout.api.routes import build_router
from nceflow.checkout.auth import TokenVerifier
from nceflow.checkout.context import AppContext, context_of
from nceflow.checkout.factory import Checkout, checkout
from nceflow.checkout.metrics import Metrics
from nceflow.checkout.relay import RelayThread
from nceflow.checkout.resellers import ResellerDirectory, load_directory
from nceflow.checkout.settings import Settings
from nceflow.runtime.body_limit import BodySizeLimit
from nceflow.runtime.clock import utc_now
from nceflow.runtime.dead_letters import DeadLetterProducer
from nceflow.runtime.health import health_router
from nceflow.runtime.shutdown import stop_within
from nceflow.schemas import topics

_log = structlog.get_logger("nceflow.checkout")


async def _every(
    interval: float, work: Callable[[], Awaitable[object]], name: str, stopping: asyncio.Event
) -> None:
    """Run `work` every `interval` seconds until `stopping` is set (never mid-call)."""
    while not stopping.is_set():
        try:
            await work()
        except Exception as exc:  # a failed round is retried on the next one
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise asyncio.CancelledError from exc
            _log.warning(f"{name} failed", error=f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)


def create_app(
    settings: Settings | None = None, directory: ResellerDirectory | None = None
) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted)."""
    settings = settings or Settings()
    directory = directory or load_directory(settings.resellers_file)
    verifier = TokenVerifier(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            checkout(settings, directory, metrics) as parts,
            _background(settings, parts, app, verifier, metrics),
        ):
            yield

    async def redis_ready() -> None:
        context = context_of(app)
        await context.redis.ping()

    async def relay_running() -> None:
        # The relay retries broker and Redis trouble by itself; it only ends on a bug. Without
        # it events would silently pile up in the outbox, so the replica reports itself unready.
        context = context_of(app)
        if context.relay is not None and not context.relay.is_alive():
            raise RuntimeError("the outbox relay thread has stopped")

    app = FastAPI(
        title="nceflow checkout service",
        description="The NCE purchase wizard: drafts, steps, Buy, and the customer's orders.",
        version="1.0.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)

    async def awaiting_fulfilment() -> dict[str, int]:
        context = context_of(app)
        awaiting, overdue = await context.store.awaiting_counts(utc_now())
        return {"orders_awaiting_fulfilment": awaiting, "orders_overdue": overdue}

    readiness = {"redis": redis_ready, "outbox_relay": relay_running}
    app.include_router(health_router("checkout", readiness, details=awaiting_fulfilment))
    app.include_router(build_router())
    if settings.dev and settings.jwt_dev_secret is not None:
        app.include_router(dev_router(settings, directory))

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        context = context_of(app)
        awaiting, overdue = await context.store.awaiting_counts(utc_now())
        context.metrics.awaiting.set(awaiting)
        context.metrics.overdue.set(overdue)
        return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, refusal=body_too_large)
    return app


@asynccontextmanager
async def _background(
    settings: Settings, parts: Checkout, app: FastAPI, verifier: TokenVerifier, metrics: Metrics
) -> AsyncIterator[None]:
    """The app's context, and the work every replica runs beside the requests: the outbox relay
    (its own thread), the draft-expiry and re-emit loops, the fulfilment-event consumer."""
    drafts, orders = parts.drafts, parts.orders
    relay = RelayThread(settings) if settings.relay_enabled else None
    app.state.context = AppContext(
        drafts=drafts,
        orders=orders,
        verifier=verifier,
        store=parts.store,
        redis=parts.redis,
        relay=relay,
        metrics=metrics,
    )
    tasks: list[asyncio.Task[None]] = []
    # Background loops stop between rounds: cancelling a Redis call mid-read is not safe.
    stopping = asyncio.Event()
    broker: KafkaBroker | None = None
    dead_letters: DeadLetterProducer | None = None
    if relay is not None:
        relay.start()
    tasks.append(
        asyncio.create_task(
            _every(settings.expiry_interval_seconds, drafts.expire_due, "draft expiry", stopping),
            name="draft-expiry",
        )
    )
    tasks.append(
        asyncio.create_task(
            _every(
                settings.redelivery_interval_seconds,
                orders.redeliver_due,
                "order re-emit",
                stopping,
            ),
            name="order-redelivery",
        )
    )
    if settings.consumer_enabled:
        dead_letters = DeadLetterProducer(
            settings.kafka,
            topics.CHECKOUT_DEAD_LETTER,
            client_id="nceflow-checkout-dead-letters",
        )
        broker = fulfilment_broker(
            settings.kafka,
            FulfilmentEventHandler(orders, dead_letters),
            group_id=settings.consumer_group,
        )
        tasks.append(asyncio.create_task(_start_broker(broker), name="fulfilment-consumer"))
    try:
        yield
    finally:
        stopping.set()
        # Let the loops finish their round (blocking reads are short) before cancelling.
        loops = [t for t in tasks if t.get_name() != "fulfilment-consumer"]
        if loops:
            await stop_within("stopping background loops", asyncio.wait(loops), 3.0)
        for task in tasks:
            task.cancel()
        for task in tasks:
            await stop_within(f"stopping {task.get_name()}", task)
        if broker is not None:
            await stop_within("stopping the fulfilment consumer", broker.stop())
        if dead_letters is not None:
            await stop_within("stopping the dead-letter producer", dead_letters.stop())
        if relay is not None and not await asyncio.to_thread(relay.stop, 5.0):
            _log.warning("the outbox relay took longer than 5s to stop; moving on")


async def _start_broker(broker: KafkaBroker) -> None:
    """Start the consumer, retrying while the cluster is unreachable; then keep it running."""
    delay = 0.5
    while True:
        try:
            await broker.start()
            break
        except Exception as exc:
            _log.warning(
                "fulfilment consumer cannot start yet", error=f"{type(exc).__name__}: {exc}"
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
    await asyncio.Event().wait()
