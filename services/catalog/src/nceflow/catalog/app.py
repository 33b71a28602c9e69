"""The catalog service's FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from nceflow.catalog.api.admin import admin_router
from nceflow.catalog.api.errors import install_problem_handlers
from nceflow.catalog.api.routes import add_catalogue_routes
from nceflow.catalog.factory import file_follower, initial_store
from nceflow.catalog.settings import Settings
from nceflow.partner_center import PartnerCenterSettings
from nceflow.runtime.health import health_router

_log = structlog.get_logger("nceflow.catalog")


def create_app(
    settings: Settings | None = None, partner_center: PartnerCenterSettings | None = None
) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted).

    The catalogue is loaded and indexed here, once, so that the first request is as fast as the
    rest; `app.state.store` is what a sync replaces. `partner_center` is only used by the admin
    sync endpoint, which exists when `settings.admin_token` is set.
    """
    settings = settings or Settings()
    store = initial_store(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _log.info("catalogue loaded", plans=store.snapshot.plan_count)
        follower = file_follower(settings, store)
        try:
            yield
        finally:
            if follower is not None:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower

    app = FastAPI(
        title="nceflow catalog service",
        description="The Microsoft NCE Catalogue: tiles and service plans with partner prices.",
        version="1",
        lifespan=lifespan,
    )
    app.state.store = store
    install_problem_handlers(app)
    # Registered first and on the app's router itself: these are the hot routes.
    add_catalogue_routes(app.router, store, cache_max_age=settings.cache_max_age_seconds)
    app.include_router(health_router("catalog"))
    if settings.admin_token is not None:
        app.include_router(
            admin_router(
                store, settings, partner_center or PartnerCenterSettings(), settings.admin_token
            )
        )
    return app
