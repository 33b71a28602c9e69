"""The Partner Center simulator's FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from nceflow.partner_center_sim.settings import Settings
from nceflow.runtime.health import health_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted)."""
    settings = settings or Settings()
    app = FastAPI(title="nceflow Partner Center simulator")
    app.include_router(health_router("partner_center_sim"))
    return app
