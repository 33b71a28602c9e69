"""Errors on cart lines ("Cart resources": `CartLineItem.error`, a `CartError` with `errorCode`
and `errorDescription`): the cart is created (201) but its checkout is refused (400 / 800009)
while a line carries one. Here: an offer whose SKU enforces an attestation
(`attestationProperties.enforceAttestation`) bought on a line without `attestationAccepted`."""

from __future__ import annotations

from typing import Any

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _require_attestation(sim: Sim, catalog_item_id: str) -> None:
    product, sku, _ = catalog_item_id.split(":")
    response = sim.http.post(
        "/_sim/catalog/attestation",
        json={"productId": product, "skuId": sku, "attestationText": "Eligible for this offer."},
    )
    assert response.status_code == 200, response.text


def _cart(sim: Sim, *, attestation_accepted: bool | None) -> dict[str, Any]:
    body = sim.cart_body()
    if attestation_accepted is not None:
        body["lineItems"][0]["attestationAccepted"] = attestation_accepted
    return body


def test_the_sku_shows_the_attestation_it_enforces(sim: Sim) -> None:
    item = sim.catalog_item()
    product, sku, _ = item.split(":")
    before = sim.pc("GET", f"/v1/products/{product}/skus/{sku}?country=US").json()
    assert "attestationProperties" not in before
    _require_attestation(sim, item)
    after = sim.pc("GET", f"/v1/products/{product}/skus/{sku}?country=US").json()
    assert after["attestationProperties"]["enforceAttestation"] is True
    assert after["attestationProperties"]["attestationText"] == "Eligible for this offer."
    listed = sim.pc("GET", f"/v1/products/{product}/skus?country=US").json()["items"]
    assert [s["attestationProperties"]["enforceAttestation"] for s in listed if s["id"] == sku]


def test_a_line_without_the_attestation_carries_10012_and_the_checkout_is_800009(
    sim: Sim,
) -> None:
    cid = sim.customer_id(CONTOSO)
    _require_attestation(sim, sim.catalog_item())
    created = sim.pc(
        "POST", f"/v1/customers/{cid}/carts", json=_cart(sim, attestation_accepted=None)
    )
    assert created.status_code == 201
    (line,) = created.json()["lineItems"]
    assert line["error"]["errorCode"] == 10012
    assert "attestation" in line["error"]["errorDescription"]
    checkout = sim.pc("POST", f"/v1/customers/{cid}/carts/{created.json()['id']}/checkout")
    assert checkout.status_code == 400
    assert checkout.json()["code"] == 800009
    assert sim.http.get(f"/_sim/customers/{cid}/orders").json()["items"] == []


def test_the_line_fixed_with_put_checks_out(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    _require_attestation(sim, sim.catalog_item())
    cart = sim.pc("POST", f"/v1/customers/{cid}/carts", json=_cart(sim, attestation_accepted=False))
    cart_id = cart.json()["id"]
    assert cart.json()["lineItems"][0]["error"]["errorCode"] == 10012
    fixed = sim.pc(
        "PUT", f"/v1/customers/{cid}/carts/{cart_id}", json=_cart(sim, attestation_accepted=True)
    )
    assert fixed.status_code == 200, fixed.text
    assert "error" not in fixed.json()["lineItems"][0]
    assert fixed.json()["lineItems"][0]["attestationAccepted"] is True
    checkout = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout")
    assert checkout.status_code == 201, checkout.text


def test_an_offer_without_attestation_has_no_line_error(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    created = sim.pc(
        "POST", f"/v1/customers/{cid}/carts", json=_cart(sim, attestation_accepted=None)
    )
    assert "error" not in created.json()["lineItems"][0]
    assert "attestationAccepted" not in created.json()["lineItems"][0]
