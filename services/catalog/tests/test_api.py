"""The catalogue API through real HTTP: the service runs as `python -m nceflow.catalog`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from nceflow.devstack.processes import free_port, start_service

M365 = "nce-microsoft-365-commercial"
PROBLEM = "application/problem+json"
ADMIN_TOKEN = "test-admin-token-of-32-characters-or-more"


@pytest.fixture(scope="module")
def catalog_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("catalog")
    proc = start_service(
        "nceflow.catalog",
        free_port(),
        {
            # No synced file yet: the service serves the shipped catalogue.
            "NCEFLOW_CATALOG_CATALOGUE_FILE": str(state / "catalogue.json"),
            "NCEFLOW_CATALOG_ADMIN_TOKEN": ADMIN_TOKEN,
            "NCEFLOW_CATALOG_CACHE_MAX_AGE_SECONDS": "30",
        },
        port_variable="NCEFLOW_CATALOG_PORT",
        log_path=state / "catalog.log",
    )
    try:
        yield proc.url
    finally:
        proc.stop()


@pytest.fixture
def api(catalog_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=catalog_url, timeout=5.0) as client:
        yield client


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "errors"} <= body.keys()
    return body


def test_seed_steps_one_to_three(api: httpx.Client) -> None:
    # 1. The customer selects the Microsoft NCE Catalogue.
    catalogues = api.get("/v1/catalogues").json()["items"]
    catalogue = next(c for c in catalogues if c["name"] == "Microsoft NCE Catalogue")
    # 2. … clicks the NCE Microsoft 365 (Commercial) tile.
    tiles = api.get(f"/v1/catalogues/{catalogue['id']}/tiles").json()["items"]
    tile = next(t for t in tiles if t["name"] == "NCE Microsoft 365 (Commercial)")
    assert api.get(f"/v1/tiles/{tile['id']}").json() == tile
    # 3. … looks for a plan (one year, billed monthly) and adds it to the cart.
    page = api.get(
        f"/v1/tiles/{tile['id']}/plans",
        params={"term": "P1Y", "billing_cycle": "monthly", "q": "business basic"},
    ).json()
    assert [p["title"] for p in page["items"]] == ["Microsoft 365 Business Basic"]
    plan = page["items"][0]
    assert (
        plan["catalog_item_id"]
        == f"{plan['product_id']}:{plan['sku_id']}:{plan['availability_id']}"
    )
    assert api.get(f"/v1/plans/{plan['id']}").json() == plan


def test_batch_prices_a_cart_in_request_order(api: httpx.Client) -> None:
    ids = ["cfq7ttc0lfk5-0001-p1m-monthly-us", "no-such-plan", "cfq7ttc0lh18-0001-p1y-annual-us"]
    response = api.get("/v1/plans", params={"ids": ",".join(ids)})
    assert response.status_code == 200
    body = response.json()
    assert [p["id"] for p in body["items"]] == [ids[0], ids[2]]
    assert body["missing"] == ["no-such-plan"]
    assert all(isinstance(p["unit_price"], str) for p in body["items"])


@pytest.mark.parametrize("ids", ["", ",,", ",".join(f"p{i}" for i in range(101))])
def test_batch_refuses_empty_or_oversized_requests(api: httpx.Client, ids: str) -> None:
    body = _assert_problem(api.get("/v1/plans", params={"ids": ids}), 422)
    assert [e["field"] for e in body["errors"]] == ["ids"]  # type: ignore[attr-defined]


def test_pages_follow_next_cursor_to_the_end(api: httpx.Client) -> None:
    everything = [p["id"] for p in api.get(f"/v1/tiles/{M365}/plans").json()["items"]]
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 4}
    while True:
        page = api.get(f"/v1/tiles/{M365}/plans", params=params).json()
        seen += [p["id"] for p in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == everything
    assert len(everything) > 4


def test_conditional_get_returns_304_with_the_same_etag(api: httpx.Client) -> None:
    path = f"/v1/tiles/{M365}/plans?term=P1Y"
    first = api.get(path)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=30"
    again = api.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert api.get(path, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert api.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    other = api.get(f"/v1/tiles/{M365}/plans?term=P1M")
    assert other.headers["etag"] != etag


def test_bad_filter_values_name_the_parameter_and_allowed_values(api: httpx.Client) -> None:
    response = api.get(f"/v1/tiles/{M365}/plans", params={"term": "P2Y", "billing_cycle": "daily"})
    body = _assert_problem(response, 422)
    reasons = {e["field"]: e["reason"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert set(reasons) == {"term", "billing_cycle"}
    assert all(v in reasons["term"] for v in ("P1M", "P1Y", "P3Y"))
    assert all(v in reasons["billing_cycle"] for v in ("monthly", "annual", "triennial"))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"country": "usa"}, "country"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_other_bad_parameters_are_422(
    api: httpx.Client, params: dict[str, str], field: str
) -> None:
    body = _assert_problem(api.get(f"/v1/tiles/{M365}/plans", params=params), 422)
    assert [e["field"] for e in body["errors"]] == [field]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/catalogues/nope/tiles",
        "/v1/tiles/nope",
        "/v1/tiles/nope/plans",
        "/v1/plans/nope",
        "/v1/no-such-route",
    ],
)
def test_unknown_ids_are_404_problems(api: httpx.Client, path: str) -> None:
    _assert_problem(api.get(path), 404)


def test_admin_sync_needs_the_token(api: httpx.Client) -> None:
    response = api.post("/v1/admin/sync", headers={"Authorization": "Bearer wrong"})
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    _assert_problem(api.post("/v1/admin/sync"), 401)


def test_openapi_documents_the_plan_shape_and_filters(api: httpx.Client) -> None:
    assert api.get("/docs").status_code == 200
    spec = api.get("/openapi.json").json()
    operation = spec["paths"]["/v1/tiles/{tile_id}/plans"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "term",
        "billing_cycle",
        "q",
        "country",
        "limit",
        "cursor",
    }
    plan = spec["components"]["schemas"]["ServicePlan"]
    assert {"catalog_item_id", "unit_price", "term", "billing_cycle"} <= plan["properties"].keys()
