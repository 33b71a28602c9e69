"""Microsoft replaces availabilities; a cart holding a withdrawn one fails at checkout with
404 / 400019 ("Partner Center REST error codes": "issue a new GET to ensure they have the
current availability ID and retry"). Also the repeated checkout's two documented answers."""

from __future__ import annotations

from typing import Any

import pytest

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _withdraw(sim: Sim, catalog_item_id: str, *, replace: bool) -> dict[str, Any]:
    response = sim.http.post(
        "/_sim/catalog/withdraw", json={"catalogItemId": catalog_item_id, "replace": replace}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _availability_ids(sim: Sim, catalog_item_id: str) -> list[str]:
    product, sku, _ = catalog_item_id.split(":")
    response = sim.pc("GET", f"/v1/products/{product}/skus/{sku}/availabilities?country=US")
    assert response.status_code == 200
    return [a["catalogItemId"] for a in response.json()["items"]]


def test_a_withdrawn_availability_fails_the_checkout_with_400019(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    cart_id = sim.place_cart()
    stale = sim.catalog_item()
    replacement = _withdraw(sim, stale, replace=True)["replacement"]
    assert replacement is not None
    assert replacement != stale
    listed = _availability_ids(sim, stale)
    assert replacement in listed
    assert stale not in listed

    refused = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout")
    assert refused.status_code == 404
    assert refused.json()["code"] == 400019
    assert sim.sim_orders(cid) == []

    body = sim.cart_body()
    body["lineItems"][0]["catalogItemId"] = replacement
    rebuilt = sim.pc("POST", f"/v1/customers/{cid}/carts", json=body)
    assert rebuilt.status_code == 201, rebuilt.text
    placed = sim.pc("POST", f"/v1/customers/{cid}/carts/{rebuilt.json()['id']}/checkout")
    assert placed.status_code == 201
    assert placed.json()["orders"][0]["lineItems"][0]["offerId"] == replacement


def test_withdrawn_without_replacement_leaves_no_availability(sim: Sim) -> None:
    stale = sim.catalog_item()
    assert _withdraw(sim, stale, replace=False)["replacement"] is None
    assert stale not in _availability_ids(sim, stale)
    sim.http.post("/_sim/reset")
    assert stale in _availability_ids(sim, stale)


@pytest.mark.parametrize(("setting", "status"), [("first_result", 201), ("already_submitted", 400)])
def test_a_new_checkout_of_an_ordered_cart(sim: Sim, setting: str, status: int) -> None:
    assert sim.http.patch("/_sim/config", json={"repeat_checkout": setting}).status_code == 200
    cid = sim.customer_id(CONTOSO)
    cart_id = sim.place_cart()
    path = f"/v1/customers/{cid}/carts/{cart_id}/checkout"
    first = sim.pc("POST", path)
    assert first.status_code == 201
    again = sim.pc("POST", path)  # a new MS-RequestId
    assert again.status_code == status
    if status == 201:
        assert again.json() == first.json()
    else:
        assert again.json()["code"] == 800065
    assert len(sim.sim_orders(cid)) == 1


def test_the_same_attestation_twice_is_600061(sim: Sim) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    template = sim.seed.mca_template_id
    body: dict[str, Any] = {
        "primaryContact": {"firstName": "Grace", "lastName": "Hopper", "email": "g@fabrikam.com"},
        "templateId": template,
        "dateAgreed": "2026-12-01T00:00:00Z",
        "type": "MicrosoftCustomerAgreement",
    }
    path = f"/v1/customers/{fabrikam}/agreements"
    assert sim.pc("POST", path, json=body).status_code == 201
    again = sim.pc("POST", path, json=body)
    assert (again.status_code, again.json()["code"]) == (400, 600061)
    body["primaryContact"]["email"] = "other@fabrikam.com"
    assert sim.pc("POST", path, json=body).status_code == 201


def test_get_customer_by_id_says_whether_delegated_access_is_allowed(sim: Sim) -> None:
    customer = sim.pc("GET", f"/v1/customers/{sim.customer_id(CONTOSO)}").json()
    assert customer["allowDelegatedAccess"] is True
    listed = sim.pc("GET", "/v1/customers").json()["items"]
    assert all("allowDelegatedAccess" not in c for c in listed)
