"""The catalogue being served, replaced whole by a sync."""

from __future__ import annotations

from nceflow.catalog.domain.model import CatalogueDocument
from nceflow.catalog.domain.snapshot import CatalogueSnapshot


class CatalogueStore:
    """Holds the current snapshot; `replace` swaps in a new one with a single assignment.

    The new snapshot is fully built before the swap, so a request sees either the old catalogue
    or the new one, never a mixture, and a build that fails leaves the old one served.
    """

    def __init__(self, document: CatalogueDocument) -> None:
        self._snapshot = CatalogueSnapshot(document)

    @property
    def snapshot(self) -> CatalogueSnapshot:
        """The catalogue version to answer the current request from."""
        return self._snapshot

    def replace(self, document: CatalogueDocument) -> CatalogueSnapshot:
        """Serve `document` from now on; returns its snapshot."""
        snapshot = CatalogueSnapshot(document)
        self._snapshot = snapshot
        return snapshot
