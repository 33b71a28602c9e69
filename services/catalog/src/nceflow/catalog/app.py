"""The catalog service's FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from nceflow.catalog.api.errors import install_problem_handlers
from nceflow.catalog.api.routes import catalogue_router
from nceflow.catalog.files import load_catalogue
from nceflow.catalog.settings import Settings
from nceflow.catalog.store import CatalogueStore
from nceflow.runtime.health import health_router

_log = structlog.get_logger("nceflow.catalog")


def _initial_store(settings: Settings) -> CatalogueStore:
    # A catalogue written by an earlier sync wins over the shipped one.
    path = settings.catalogue_file
    if path is not None and path.exists():
        return CatalogueStore(load_catalogue(path))
    return CatalogueStore(load_catalogue())


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted).

    The catalogue is loaded and indexed here, once, so that the first request is as fast as the
    rest; `app.state.store` is what a sync replaces.
    """
    settings = settings or Settings()
    store = _initial_store(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _log.info("catalogue loaded", plans=store.snapshot.plan_count)
        yield

    app = FastAPI(
        title="nceflow catalog service",
        description="The Microsoft NCE Catalogue: tiles and service plans with partner prices.",
        version="1",
        lifespan=lifespan,
    )
    app.state.store = store
    install_problem_handlers(app)
    app.include_router(health_router("catalog"))
    app.include_router(catalogue_router(store, cache_max_age=settings.cache_max_age_seconds))
    return app
