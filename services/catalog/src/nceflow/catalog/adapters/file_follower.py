"""Serve what a sync in another process (`nceflow catalog sync`) wrote, soon after it wrote it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from pydantic import ValidationError

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.adapters.files import load_catalogue

_log = structlog.get_logger("nceflow.catalog")


def _version(path: Path) -> tuple[int, int, int] | None:
    # A sync renames a new file into place, so the inode changes even when two writes fall in
    # the same timestamp tick; size and mtime catch edits in place.
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


async def follow_catalogue_file(store: CatalogueStore, path: Path, interval: float) -> None:
    """Poll `path` every `interval` seconds and swap in each new version that validates.

    Runs until cancelled. Polling (one `stat` per interval) keeps it dependency-free and works on
    any volume replicas share. A file that does not validate is logged and skipped: the sync
    writes by rename, so that is a hand edit, and the good catalogue stays served.
    """
    seen = _version(path)
    while True:
        await asyncio.sleep(interval)
        current = _version(path)
        if current is None or current == seen:
            continue
        seen = current
        try:
            document = await asyncio.to_thread(load_catalogue, path)
        except (OSError, ValidationError) as exc:
            _log.error("catalogue file unreadable; still serving the previous one", error=str(exc))
            continue
        store.replace(document)
        _log.info("catalogue reloaded", plans=len(document.plans), synced_at=document.synced_at)
