"""Catalogue files: round trip, and an interrupted write leaves the previous file whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from nceflow.catalog.adapters import files
from nceflow.catalog.adapters.files import catalogue_json, load_catalogue, save_catalogue


def test_saved_catalogue_loads_back_equal(tmp_path: Path) -> None:
    document = load_catalogue()
    target = tmp_path / "nested" / "catalogue.json"
    save_catalogue(document, target)
    assert load_catalogue(target) == document
    assert list(target.parent.iterdir()) == [target]


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = load_catalogue()
    target = tmp_path / "catalogue.json"
    save_catalogue(document, target)
    before = target.read_bytes()

    def half_written(_: object) -> bytes:
        raise OSError("disk full")

    # The serialiser failing stands in for the process dying mid-write.
    monkeypatch.setattr(files, "catalogue_json", half_written)
    with pytest.raises(OSError, match="disk full"):
        save_catalogue(
            document.model_copy(update={"synced_at": "2026-01-01T00:00:00+00:00"}), target
        )
    assert target.read_bytes() == before
    assert list(tmp_path.iterdir()) == [target]
    assert catalogue_json(document) == before
