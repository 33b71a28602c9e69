"""The storefront's FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starsessions import SessionAutoloadMiddleware, SessionMiddleware
from starsessions.stores.redis import RedisStore

from nceflow.runtime.body_limit import BodySizeLimit
from nceflow.runtime.health import health_router
from nceflow.runtime.redis_client import redis_from_url
from nceflow.runtime.shutdown import stop_within
from nceflow.storefront.adapters.catalog_client import CatalogClient
from nceflow.storefront.adapters.checkout_client import CheckoutClient
from nceflow.storefront.api.errors import install_error_pages
from nceflow.storefront.api.pages import STATIC_DIR, Pages, build_templates
from nceflow.storefront.api.routes.cart import cart_router
from nceflow.storefront.api.routes.catalogue import catalogue_router
from nceflow.storefront.api.routes.orders import orders_router
from nceflow.storefront.api.routes.sign_in import sign_in_router
from nceflow.storefront.api.routes.wizard import wizard_router
from nceflow.storefront.api.security_headers import SecurityHeaders
from nceflow.storefront.api.session import AUTOLOADED_PATHS, SessionStoreGuard
from nceflow.storefront.dev_sign_in import DevSignIn
from nceflow.storefront.settings import Settings

_log = structlog.get_logger("nceflow.storefront")

SESSION_COOKIE = "nceflow_session"
REDIS_TIMEOUT_SECONDS = 2.0


def sessions_unavailable() -> HTMLResponse:
    """The page a browser gets while sessions cannot be read (Redis down)."""
    return HTMLResponse(
        "<!doctype html><title>Try again shortly</title><h1>Try again shortly</h1>"
        "<p>The marketplace cannot open your session right now. Try again in a moment.</p>",
        status_code=503,
        headers={"Retry-After": "5"},
    )


def body_too_large(max_bytes: int) -> HTMLResponse:
    """The page a browser gets for a form too large to read."""
    return HTMLResponse(
        "<!doctype html><title>Too much to send</title><h1>Too much to send</h1>"
        f"<p>What you sent is larger than {max_bytes} bytes. Go back and try again.</p>",
        status_code=413,
    )


def create_app(
    settings: Settings | None = None,
    *,
    catalog_transport: httpx.AsyncBaseTransport | None = None,
    checkout_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the app from `settings` (read from the environment when omitted).

    The transports let a test serve catalog or checkout in-process; by default both are reached
    over HTTP at their configured URLs.
    """
    settings = settings or Settings()
    timeout = httpx.Timeout(settings.upstream_timeout_seconds)
    catalog_http = httpx.AsyncClient(
        base_url=settings.catalog_url, timeout=timeout, transport=catalog_transport
    )
    checkout_http = httpx.AsyncClient(
        base_url=settings.checkout_url, timeout=timeout, transport=checkout_transport
    )
    catalog = CatalogClient(catalog_http, settings.market)
    checkout = CheckoutClient(checkout_http)
    pages = Pages(build_templates())

    # Sessions live in Redis and the cookie carries only a random id: the customer's bearer
    # token never reaches the browser, and signing out deletes the session for every copy of
    # the cookie. A dead Redis fails the call within the timeout (503), not a hang.
    redis = redis_from_url(
        settings.redis.url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )
    sessions = RedisStore(
        connection=redis, prefix=f"{settings.redis.key_prefix}:storefront:session:"
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _log.info(
            "storefront ready",
            catalog=settings.catalog_url,
            checkout=settings.checkout_url,
            sign_in=settings.sign_in_mode.value,
        )
        try:
            yield
        finally:
            await catalog_http.aclose()
            await checkout_http.aclose()
            await stop_within("closing redis", redis.aclose())

    app = FastAPI(
        title="nceflow storefront",
        description="The customer's pages: catalogue, cart, checkout wizard, orders.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.add_middleware(SessionAutoloadMiddleware, paths=AUTOLOADED_PATHS)
    # The cookie: a random id, HttpOnly and SameSite=Lax; `Secure` when served over HTTPS.
    app.add_middleware(
        SessionMiddleware,
        store=sessions,
        lifetime=settings.session_max_age_seconds,
        cookie_name=SESSION_COOKIE,
        cookie_same_site="lax",
        cookie_https_only=settings.secure_cookies,
    )
    app.add_middleware(SessionStoreGuard, unavailable=sessions_unavailable)
    # Outermost: the size of a body is checked before anything parses it (forms, CSRF).
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, refusal=body_too_large)
    app.add_middleware(SecurityHeaders)
    install_error_pages(app, pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    async def redis_ready() -> None:
        await redis.ping()

    app.include_router(health_router("storefront", {"redis": redis_ready}))
    app.include_router(sign_in_router(pages, checkout, settings.sign_in_mode, DevSignIn(checkout)))
    app.include_router(catalogue_router(pages, catalog))
    app.include_router(cart_router(pages, catalog, checkout))
    app.include_router(wizard_router(pages, checkout))
    app.include_router(orders_router(pages, checkout, settings.order_poll_interval_ms))
    return app
