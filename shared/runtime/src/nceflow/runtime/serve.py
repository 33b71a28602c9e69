"""Run a FastAPI app with uvicorn from a service's `__main__`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from nceflow.runtime.logging import configure_logging
from nceflow.runtime.settings import HttpServerSettings


def serve(app: FastAPI, settings: HttpServerSettings) -> None:
    """Serve `app` until SIGINT/SIGTERM; uvicorn runs the app's lifespan shutdown on either.

    Once the app's lifespan has started, the startup heap is frozen (`freeze_startup_heap`).
    """
    configure_logging(json=settings.log_json, level=settings.log_level)
    freeze_heap_after_startup(app)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


def freeze_heap_after_startup(app: FastAPI) -> None:
    """Make `app`'s lifespan call `freeze_startup_heap` once its startup is done."""
    starting = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: Any) -> AsyncIterator[Any]:
        async with starting(served) as state:
            freeze_startup_heap()
            yield state

    app.router.lifespan_context = lifespan


def freeze_startup_heap() -> None:
    """Exempt everything built at startup (modules, models, clients) from garbage collection.

    A full collection otherwise walks those hundreds of thousands of long-lived objects again
    and again: ~90 ms with the GIL held in checkout under load, a stall for every request and
    for the outbox relay's thread. New objects are collected as usual.
    """
    gc.collect()
    gc.freeze()
