"""Products, SKUs and availabilities of the seeded NCE catalog."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nceflow.testing.simulator import Sim


def test_products_list_the_nce_licence_offers(sim: Sim) -> None:
    response = sim.pc(
        "GET", "/v1/products", params={"country": "US", "targetView": "OnlineServices"}
    )
    assert response.status_code == 200
    ids = {p["id"] for p in response.json()["items"]}
    assert {
        "CFQ7TTC0LH18",
        "CFQ7TTC0LDPB",
        "CFQ7TTC0LCHC",
        "CFQ7TTC0LFLX",
        "CFQ7TTC0LFLZ",
        "CFQ7TTC0LF8Q",
        "CFQ7TTC0LF8R",
    } <= ids
    product = next(p for p in response.json()["items"] if p["id"] == "CFQ7TTC0LFLX")
    assert product["title"] == "Microsoft 365 E3"
    assert product["productType"]["id"] == "OnlineServices"
    assert product["attributes"] == {"objectType": "Product"}


@pytest.mark.parametrize("params", [{"country": "FR"}, {"country": "US", "targetView": "Azure"}])
def test_other_countries_and_views_are_empty(sim: Sim, params: dict[str, str]) -> None:
    response = sim.pc("GET", "/v1/products", params=params)
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_country_is_required(sim: Sim) -> None:
    assert sim.pc("GET", "/v1/products").status_code == 400


def test_skus_and_availabilities_with_nce_terms(sim: Sim) -> None:
    skus = sim.pc("GET", "/v1/products/CFQ7TTC0LFLX/skus", params={"country": "US"}).json()
    (sku,) = skus["items"]
    assert sku["id"] == "0001"
    assert sku["productId"] == "CFQ7TTC0LFLX"
    assert sku["attributes"] == {"objectType": "Sku"}
    assert set(sku["supportedBillingCycles"]) == {"monthly", "annual", "triennial"}
    availabilities = sim.pc(
        "GET", "/v1/products/CFQ7TTC0LFLX/skus/0001/availabilities", params={"country": "US"}
    ).json()
    (availability,) = availabilities["items"]
    assert availability["catalogItemId"] == f"CFQ7TTC0LFLX:0001:{availability['id']}"
    terms = {(t["duration"], t["billingCycle"]) for t in availability["terms"]}
    assert terms == {
        ("P1M", "Monthly"),
        ("P1Y", "Monthly"),
        ("P1Y", "Annual"),
        ("P3Y", "Annual"),
        ("P3Y", "Triennial"),
    }
    one = sim.pc(
        "GET",
        f"/v1/products/CFQ7TTC0LFLX/skus/0001/availabilities/{availability['id']}",
        params={"country": "US"},
    )
    assert one.json() == availability


def test_monthly_term_is_only_billed_monthly(sim: Sim) -> None:
    availability = sim.pc(
        "GET", "/v1/products/CFQ7TTC0LH18/skus/0001/availabilities", params={"country": "US"}
    ).json()["items"][0]
    p1m = [t["billingCycle"] for t in availability["terms"] if t["duration"] == "P1M"]
    assert p1m == ["Monthly"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/products/CFQ7TTC0XXXX", 400013),
        ("/v1/products/CFQ7TTC0LFLX/skus/9999", 400018),
        ("/v1/products/CFQ7TTC0LFLX/skus/0001/availabilities/CFQ7TTC0ZZZZ", 400019),
        ("/v1/products/CFQ7TTC0XXXX/skus", 400013),
    ],
)
def test_unknown_catalog_ids_are_404_with_their_codes(sim: Sim, path: str, code: int) -> None:
    response = sim.pc("GET", path, params={"country": "US"})
    assert response.status_code == 404
    assert response.json()["code"] == code


def test_sim_catalog_exposes_usd_prices(sim: Sim) -> None:
    catalog = sim.http.get("/_sim/catalog").json()
    assert catalog["currency"]["code"] == "USD"
    e3 = next(p for p in catalog["products"] if p["id"] == "CFQ7TTC0LFLX")
    terms = e3["skus"][0]["availabilities"][0]["terms"]
    p1y = next(t for t in terms if t["duration"] == "P1Y")
    # Decimal strings: prices must not pick up binary floating-point error.
    assert {p["billingCycle"]: Decimal(p["unitPrice"]) for p in p1y["prices"]} == {
        "monthly": Decimal("37.80"),
        "annual": Decimal("432.00"),
    }
