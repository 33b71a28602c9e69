"""The fulfilment service's FastAPI application factory.

HTTP serves only `/healthz`, `/readyz` and `/metrics`; the work is the Kafka subscriber and the
saga worker, both started and stopped by the app's lifespan (no work at import time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from nceflow.fulfilment.adapters.kafka_publisher import KafkaPublisher
from nceflow.fulfilment.adapters.saga_store import SagaStore
from nceflow.fulfilment.consumer import OrderEventConsumer, build_broker
from nceflow.fulfilment.factory import (
    partner_center_steps,
    partner_clients,
    redis_client,
    saga_store,
    saga_timing,
)
from nceflow.fulfilment.metrics import Metrics
from nceflow.fulfilment.service import FulfilmentService
from nceflow.fulfilment.settings import Settings
from nceflow.fulfilment.worker import SagaWorker
from nceflow.runtime.clock import utc_now
from nceflow.runtime.health import health_router
from nceflow.runtime.problems import PROBLEM_TYPE_BASE, install_problem_handlers
from nceflow.runtime.shutdown import stop_within


@dataclass(frozen=True)
class AppContext:
    """What the lifespan built, for tests and the readiness checks."""

    settings: Settings
    store: SagaStore
    service: FulfilmentService
    worker: SagaWorker
    metrics: Metrics


def context_of(app: FastAPI) -> AppContext:
    """The running app's context (set by the lifespan; the one way to reach it)."""
    context: AppContext = app.state.context
    return context


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics = Metrics()
        redis = redis_client(settings)
        store = saga_store(settings, redis)
        publisher = KafkaPublisher(settings.kafka)
        clients = partner_clients(settings)
        steps = partner_center_steps(settings, redis, clients)
        service = FulfilmentService(store, steps, publisher, saga_timing(settings), metrics)
        worker = SagaWorker(
            service,
            store,
            metrics,
            max_in_flight=settings.max_in_flight,
            poll_interval=settings.poll_interval_seconds,
            lease_ttl=settings.lease_ttl_seconds,
            visibility=timedelta(seconds=settings.visibility_timeout_seconds),
            clock=utc_now,
        )
        consumer = OrderEventConsumer(service, publisher, metrics, on_accepted=worker.wake)
        broker = build_broker(settings, consumer)
        await publisher.start()
        try:
            worker.start()
            await broker.start()
            app.state.context = AppContext(settings, store, service, worker, metrics)
            try:
                yield
            finally:
                # Every step has a deadline: one that hangs must not keep the process up.
                await stop_within("stopping the order consumer", broker.stop(), 10.0)
                await stop_within("handing running sagas back", worker.stop(), 10.0)
        finally:
            await stop_within("stopping the event publisher", publisher.stop())
            await stop_within("closing Partner Center clients", clients.aclose())
            await stop_within("closing redis", redis.aclose())

    async def redis_ready() -> None:
        await context_of(app).store.redis.ping()

    async def worker_ready() -> None:
        if not context_of(app).worker.healthy:
            raise RuntimeError("the saga worker cannot read the schedule")

    app = FastAPI(title="nceflow fulfilment service", lifespan=lifespan)
    # Even an ops-only API answers an unknown path or a bug as problem+json, like the others.
    install_problem_handlers(app, type_base=PROBLEM_TYPE_BASE, service_name="fulfilment")
    app.include_router(health_router("fulfilment", {"redis": redis_ready, "worker": worker_ready}))

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        context: AppContext | None = getattr(app.state, "context", None)
        body = generate_latest(context.metrics.registry) if context else b""
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app
