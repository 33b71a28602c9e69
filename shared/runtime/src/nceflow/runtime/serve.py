"""Run a FastAPI app with uvicorn from a service's `__main__`."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from nceflow.runtime.logging import configure_logging
from nceflow.runtime.settings import HttpServerSettings


def serve(app: FastAPI, settings: HttpServerSettings) -> None:
    """Serve `app` until SIGINT/SIGTERM; uvicorn runs the app's lifespan shutdown on either."""
    configure_logging(json=settings.log_json, level=settings.log_level)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )
