"""The served app's startup heap is frozen once its lifespan has started."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from nceflow.runtime.serve import freeze_heap_after_startup


def test_the_heap_is_frozen_after_the_apps_own_startup() -> None:
    seen: list[int] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seen.append(gc.get_freeze_count())  # the app's startup runs first
        yield

    app = FastAPI(lifespan=lifespan)
    gc.unfreeze()
    freeze_heap_after_startup(app)
    try:
        with TestClient(app):
            assert seen == [0]
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
