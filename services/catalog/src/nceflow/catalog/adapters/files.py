"""Reading and writing catalogue documents and price lists.

The shipped files live in the package (`data/`); a sync writes its catalogue to a file of the
operator's choice, replacing it atomically (temporary file + rename) so that a crash mid-write
never leaves a half-written catalogue for the next start.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

from nceflow.catalog.domain.model import CatalogueDocument
from nceflow.catalog.domain.price_list import PriceList

_DATA = "data"
# `catalog_item_id` is derived from the other fields; writing it would only invite disagreement.
_DERIVED = {"plans": {"__all__": {"catalog_item_id"}}}


def _shipped_bytes(name: str) -> bytes:
    # The data/ folder belongs to the package, not to this module's subpackage.
    return resources.files("nceflow.catalog").joinpath(_DATA, name).read_bytes()


def load_catalogue(path: Path | None = None) -> CatalogueDocument:
    """The catalogue in `path`, or the one shipped with the service when `path` is None."""
    raw = path.read_bytes() if path is not None else _shipped_bytes("catalogue.json")
    return CatalogueDocument.model_validate_json(raw)


def load_price_list(path: Path | None = None) -> PriceList:
    """The partner's price list in `path`, or the shipped one when `path` is None."""
    raw = path.read_bytes() if path is not None else _shipped_bytes("price-list.json")
    return PriceList.model_validate_json(raw)


def catalogue_json(document: CatalogueDocument) -> bytes:
    """The file form of `document` (what `load_catalogue` reads)."""
    return document.model_dump_json(indent=2, exclude=_DERIVED).encode() + b"\n"


def save_catalogue(document: CatalogueDocument, path: Path) -> None:
    """Write `document` to `path` atomically: readers see the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as tmp_file:
            tmp_file.write(catalogue_json(document))
            tmp_file.flush()
            os.fsync(tmp_file.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
