"""A running service follows the catalogue file a sync in another process writes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from structlog.testing import capture_logs

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.adapters.file_follower import follow_catalogue_file
from nceflow.catalog.adapters.files import load_catalogue, save_catalogue
from nceflow.catalog.domain.model import CatalogueDocument


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met within 5 s")


def _cheaper(document: CatalogueDocument, by: str) -> CatalogueDocument:
    plans = tuple(
        p.model_copy(update={"unit_price": p.unit_price - Decimal(by)}) for p in document.plans
    )
    return document.model_copy(update={"plans": plans})


async def test_new_files_are_swapped_in_and_a_broken_one_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.json"
    shipped = load_catalogue()
    store = CatalogueStore(shipped)
    with capture_logs() as logs:
        follower = asyncio.create_task(follow_catalogue_file(store, path, 0.02))
        try:
            await asyncio.to_thread(save_catalogue, _cheaper(shipped, "0.01"), path)
            await _until(lambda: store.snapshot.document == _cheaper(shipped, "0.01"))
            served = store.snapshot

            await asyncio.to_thread(path.write_text, '{"catalogue": "not one"}')
            await _until(lambda: any("unreadable" in log["event"] for log in logs))
            assert store.snapshot is served

            await asyncio.to_thread(save_catalogue, _cheaper(shipped, "0.02"), path)
            await _until(lambda: store.snapshot.document == _cheaper(shipped, "0.02"))
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
