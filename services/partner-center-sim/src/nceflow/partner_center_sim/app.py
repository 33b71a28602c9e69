"""The Partner Center simulator's FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from nceflow.partner_center_sim.api.entra import router as entra_router
from nceflow.partner_center_sim.api.errors import install_error_handlers
from nceflow.partner_center_sim.api.faults import FaultMiddleware
from nceflow.partner_center_sim.api.headers import PartnerCenterHeadersMiddleware
from nceflow.partner_center_sim.api.replays import ReplayMiddleware
from nceflow.partner_center_sim.api.requestlog import RequestLogMiddleware
from nceflow.partner_center_sim.api.routes import (
    agreements,
    carts,
    catalog,
    control,
    customers,
    orders,
    partners,
)
from nceflow.partner_center_sim.api.sign_in import router as sign_in_router
from nceflow.partner_center_sim.context import SimContext, build_context
from nceflow.partner_center_sim.domain.seed import load_seed
from nceflow.partner_center_sim.settings import Settings
from nceflow.runtime.health import health_router


class SimulatorApp(FastAPI):
    """FastAPI with the request log, fault injection and `MS-RequestId` replays as the outermost
    ASGI layers.

    Replays sit inside the fault layer, so that the answer to a request whose response a fault
    withheld is the one replayed; the fault layer remembers the refusals it makes up itself.
    The others sit outside Starlette's own middleware so that the fault layer receives the server's
    raw `send` (needed to drop a connection) and the log sees every request, even one a fault
    answered or dropped.
    """

    sim: SimContext

    def build_middleware_stack(self) -> ASGIApp:
        """Wrap Starlette's stack in the fault layer, then the request log."""
        sim = self.sim
        inner = ReplayMiddleware(super().build_middleware_stack(), sim.replays, sim.config)
        return RequestLogMiddleware(
            FaultMiddleware(inner, sim.faults, sim.config, sim.replays), sim.requests
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted)."""
    settings = settings or Settings()
    app = SimulatorApp(
        title="nceflow Partner Center simulator",
        description="Microsoft Partner Center REST (the subset nceflow uses), Entra ID's token "
        "endpoint, and (in dev mode) a control API under /_sim/.",
    )
    app.sim = build_context(settings, load_seed(settings.seed_path))
    app.state.sim = app.sim
    install_error_handlers(app)
    app.add_middleware(PartnerCenterHeadersMiddleware)
    app.include_router(health_router("partner_center_sim"))
    app.include_router(entra_router)
    app.include_router(sign_in_router)
    for module in (customers, agreements, partners, catalog, carts, orders):
        app.include_router(module.router)
    if settings.dev:
        # The control API resets state, injects faults and reads the seeded credentials: it
        # exists in dev mode only (`NCEFLOW_ENV=dev`).
        app.include_router(control.router)
    return app
