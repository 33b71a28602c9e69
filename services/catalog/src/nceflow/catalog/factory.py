"""How the catalog is put together from settings: the catalogue it serves at start, and the
follower that picks up what a sync in another process writes."""

from __future__ import annotations

import asyncio

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.adapters.file_follower import follow_catalogue_file
from nceflow.catalog.adapters.files import load_catalogue
from nceflow.catalog.settings import Settings


def initial_store(settings: Settings) -> CatalogueStore:
    """The catalogue to serve at start: a catalogue an earlier sync wrote wins over the one
    shipped with the package."""
    path = settings.catalogue_file
    if path is not None and path.exists():
        return CatalogueStore(load_catalogue(path))
    return CatalogueStore(load_catalogue())


def file_follower(settings: Settings, store: CatalogueStore) -> asyncio.Task[None] | None:
    """Follow the catalogue file into `store` (None when there is no file to follow)."""
    if settings.catalogue_file is None or settings.reload_interval_seconds <= 0:
        return None
    return asyncio.create_task(
        follow_catalogue_file(store, settings.catalogue_file, settings.reload_interval_seconds),
        name="catalogue-follower",
    )
