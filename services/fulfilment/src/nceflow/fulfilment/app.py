"""The fulfilment service's FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from nceflow.fulfilment.settings import Settings
from nceflow.runtime.health import health_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted)."""
    settings = settings or Settings()
    app = FastAPI(title="nceflow fulfilment service")
    app.include_router(health_router("fulfilment"))
    return app
