"""Filters, pagination and lookups of the in-memory catalogue index."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.adapters.files import load_catalogue
from nceflow.catalog.domain.model import CatalogueDocument
from nceflow.catalog.domain.query import InvalidCursorError, PlanFilter, encode_cursor
from nceflow.catalog.domain.snapshot import CatalogueSnapshot, UnknownPlanError, UnknownTileError
from nceflow.schemas.values import BillingCycle, Term

M365 = "nce-microsoft-365-commercial"


@pytest.fixture(scope="module")
def document() -> CatalogueDocument:
    return load_catalogue()


@pytest.fixture(scope="module")
def snapshot(document: CatalogueDocument) -> CatalogueSnapshot:
    return CatalogueSnapshot(document)


def _page(
    snapshot: CatalogueSnapshot,
    plan_filter: PlanFilter | None = None,
    tile: str = M365,
    **kwargs: Any,
) -> dict[str, Any]:
    body = snapshot.plans_of_tile(tile, plan_filter or PlanFilter(), **kwargs)
    page: dict[str, Any] = json.loads(body.content)
    return page


def test_unfiltered_tile_lists_all_its_plans_in_one_page(
    snapshot: CatalogueSnapshot, document: CatalogueDocument
) -> None:
    page = _page(snapshot)
    expected = [p.id for p in document.plans if p.tile_id == M365]
    assert [item["id"] for item in page["items"]] == expected
    assert page["next_cursor"] is None


def test_term_and_billing_cycle_filters_combine(snapshot: CatalogueSnapshot) -> None:
    page = _page(snapshot, PlanFilter(term=Term.P1Y, billing_cycle=BillingCycle.MONTHLY))
    assert len(page["items"]) == 5
    assert {(i["term"], i["billing_cycle"]) for i in page["items"]} == {("P1Y", "monthly")}


def test_text_filter_needs_every_word_in_the_title_ignoring_case(
    snapshot: CatalogueSnapshot,
) -> None:
    page = _page(snapshot, PlanFilter(text="business PREMIUM"))
    assert page["items"]
    assert {i["title"] for i in page["items"]} == {"Microsoft 365 Business Premium"}
    assert _page(snapshot, PlanFilter(text="premium basic"))["items"] == []


def test_country_filter(snapshot: CatalogueSnapshot) -> None:
    assert len(_page(snapshot, PlanFilter(country="US"))["items"]) > 0
    assert _page(snapshot, PlanFilter(country="GB"))["items"] == []


def test_pages_cover_every_match_once_in_order(snapshot: CatalogueSnapshot) -> None:
    everything = [i["id"] for i in _page(snapshot)["items"]]
    seen: list[str] = []
    cursor = None
    for _ in range(len(everything)):
        page = _page(snapshot, limit=3, cursor=cursor)
        assert len(page["items"]) <= 3
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything


def test_last_full_page_has_no_next_cursor(snapshot: CatalogueSnapshot) -> None:
    monthly_p1m = PlanFilter(term=Term.P1M)
    count = len(_page(snapshot, monthly_p1m)["items"])
    assert _page(snapshot, monthly_p1m, limit=count)["next_cursor"] is None
    assert _page(snapshot, monthly_p1m, limit=count - 1)["next_cursor"] is not None


def test_filtered_pagination_skips_non_matching_plans(snapshot: CatalogueSnapshot) -> None:
    annual = PlanFilter(billing_cycle=BillingCycle.ANNUAL)
    first = _page(snapshot, annual, limit=2)
    second = _page(snapshot, annual, limit=2, cursor=first["next_cursor"])
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == [i["id"] for i in _page(snapshot, annual)["items"]][:4]


def test_cursor_survives_a_catalogue_replacement(document: CatalogueDocument) -> None:
    store = CatalogueStore(document)
    first = json.loads(store.snapshot.plans_of_tile(M365, PlanFilter(), limit=4).content)
    # A sync drops the plan the cursor points after; paging resumes at the next one.
    dropped = first["items"][-1]["id"]
    store.replace(
        document.model_copy(update={"plans": tuple(p for p in document.plans if p.id != dropped)})
    )
    rest = json.loads(
        store.snapshot.plans_of_tile(M365, PlanFilter(), cursor=first["next_cursor"]).content
    )
    all_ids = [p.id for p in document.plans if p.tile_id == M365]
    assert [i["id"] for i in rest["items"]] == all_ids[4:]


@pytest.mark.parametrize(
    "cursor", ["!!!", "bm90IGpzb24", encode_cursor((0, "0001", "US", 0, 0))[:-3]]
)
def test_foreign_cursor_is_refused(snapshot: CatalogueSnapshot, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        snapshot.plans_of_tile(M365, PlanFilter(), cursor=cursor)


def test_unknown_ids_raise(snapshot: CatalogueSnapshot) -> None:
    with pytest.raises(UnknownTileError):
        snapshot.tile("nope")
    with pytest.raises(UnknownTileError):
        snapshot.plans_of_tile("nope", PlanFilter())
    with pytest.raises(UnknownPlanError):
        snapshot.plan("nope")


def test_batch_returns_found_plans_in_request_order_and_lists_missing(
    snapshot: CatalogueSnapshot,
) -> None:
    ids = ["cfq7ttc0lfk5-0001-p1m-monthly-us", "nope", "cfq7ttc0lh18-0001-p1y-annual-us"]
    body = json.loads(snapshot.plans_by_id([*ids, ids[0]]).content)
    assert [i["id"] for i in body["items"]] == [ids[0], ids[2]]
    assert body["missing"] == ["nope"]


def test_etag_changes_with_content_only(document: CatalogueDocument) -> None:
    one, same = CatalogueSnapshot(document), CatalogueSnapshot(document)
    assert one.tile(M365).etag == same.tile(M365).etag
    cheaper = tuple(
        p.model_copy(update={"unit_price": p.unit_price - 1}) if p.tile_id == M365 else p
        for p in document.plans
    )
    other = CatalogueSnapshot(document.model_copy(update={"plans": cheaper}))
    assert other.tile(M365).etag == one.tile(M365).etag
    filters = PlanFilter()
    assert other.plans_of_tile(M365, filters).etag != one.plans_of_tile(M365, filters).etag


def test_filtered_pages_are_computed_once_per_snapshot(document: CatalogueDocument) -> None:
    snapshot = CatalogueSnapshot(document)
    annual = PlanFilter(billing_cycle=BillingCycle.ANNUAL)
    first = snapshot.plans_of_tile(M365, annual, limit=3)
    assert snapshot.plans_of_tile(M365, annual, limit=3) is first
    assert snapshot.plans_of_tile(M365, annual, limit=4) is not first
