"""Carts, checkout (idempotent per cart, never two orders) and the purchase refusals."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _checkout(sim: Sim, domain: str, cart_id: str, key: str = "direct") -> httpx.Response:
    return sim.pc("POST", f"/v1/customers/{sim.customer_id(domain)}/carts/{cart_id}/checkout", key)


def test_create_cart_echoes_lines_with_currency_order_group_and_7_day_expiry(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    response = sim.pc("POST", f"/v1/customers/{cid}/carts", json=sim.cart_body(quantity=3))
    assert response.status_code == 201, response.text
    cart = response.json()
    assert cart["status"] == "Active"
    assert cart["attributes"] == {"objectType": "Cart"}
    (line,) = cart["lineItems"]
    assert line["catalogItemId"] == sim.catalog_item()
    assert (line["quantity"], line["billingCycle"], line["termDuration"]) == (3, "monthly", "P1Y")
    assert line["currencyCode"] == "USD"
    assert line["orderGroup"] == "0"
    created = datetime.fromisoformat(cart["creationTimestamp"])
    expires = datetime.fromisoformat(cart["expirationTimestamp"])
    assert expires - created == timedelta(days=7)
    read = sim.pc("GET", f"/v1/customers/{cid}/carts/{cart['id']}")
    assert read.json() == cart


def test_indirect_cart_keeps_participants(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    reseller = sim.partner("indirect").resellers[0].mpn_id
    body = sim.cart_body(reseller_mpn=reseller, attestation=True)
    body["lineItems"][0]["participants"].append(
        {"key": "additional_transaction_reseller", "value": "517285"}
    )
    response = sim.pc("POST", f"/v1/customers/{cid}/carts", "indirect", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["lineItems"][0]["participants"] == body["lineItems"][0]["participants"]


def _cart_error(sim: Sim, body: dict[str, Any], key: str = "direct", domain: str = CONTOSO) -> Any:
    return sim.pc("POST", f"/v1/customers/{sim.customer_id(domain)}/carts", key, json=body)


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"attestation": True}, 400, 900206),
        ({"reseller_mpn": "6203118", "attestation": None}, 400, 900206),
        ({"reseller_mpn": "6203118", "attestation": False}, 400, 900206),
        ({"reseller_mpn": "5135790", "attestation": True}, 404, 2072),
        # A partner id that is no reseller of this provider: 800016 (invalid partner id).
        ({"reseller_mpn": "9999999", "attestation": True}, 400, 800016),
    ],
)
def test_indirect_rules(sim: Sim, kwargs: dict[str, Any], status: int, code: int) -> None:
    response = _cart_error(sim, sim.cart_body(**kwargs), "indirect")
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize("attestation", [None, False])
def test_a_direct_cart_needs_the_attestation_too(sim: Sim, attestation: bool | None) -> None:
    # "Create a cart": PartnerOnRecordAttestationAccepted is required on every cart.
    response = _cart_error(sim, sim.cart_body(attestation=attestation))
    assert response.status_code == 400
    assert response.json()["code"] == 900206
    assert response.json()["description"] == "Partner Attestation is missing"


def test_direct_partner_may_not_send_participants(sim: Sim) -> None:
    response = _cart_error(sim, sim.cart_body(reseller_mpn="6203118"))
    assert response.status_code == 400
    assert response.json()["code"] == 10004


def test_more_than_five_additional_resellers_is_refused(sim: Sim) -> None:
    body = sim.cart_body(reseller_mpn="6203118", attestation=True)
    body["lineItems"][0]["participants"] += [
        {"key": "additional_transaction_reseller", "value": str(1000 + n)} for n in range(6)
    ]
    assert _cart_error(sim, body, "indirect").status_code == 400


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"term": "P1M", "billing_cycle": "annual"}, 400, 600008),
        ({"term": "P3Y", "billing_cycle": "monthly"}, 400, 600008),
        ({"product_id": "CFQ7TTC0LH18", "term": "P3Y"}, 400, 600008),
        ({"quantity": 0}, 400, 600008),
        ({"product_id": "CFQ7TTC0LH18", "quantity": 301}, 403, 800067),
    ],
)
def test_line_rules(sim: Sim, kwargs: dict[str, Any], status: int, code: int) -> None:
    response = _cart_error(sim, sim.cart_body(**kwargs))
    assert response.status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("catalog_item_id", "status", "code"),
    [
        ("CFQ7TTC0LFLX:0001:CFQ7TTC0XXXX", 404, 400019),
        ("CFQ7TTC0NONE:0001:CFQ7TTC0XXXX", 404, 400019),
        ("CFQ7TTC0LFLX", 400, 600008),
    ],
)
def test_outdated_or_malformed_catalog_item(
    sim: Sim, catalog_item_id: str, status: int, code: int
) -> None:
    body = sim.cart_body()
    body["lineItems"][0]["catalogItemId"] = catalog_item_id
    response = _cart_error(sim, body)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_no_relationship_is_403_20002_until_the_customer_accepts(sim: Sim) -> None:
    response = _cart_error(sim, sim.cart_body(), domain="northwind.onmicrosoft.com")
    assert response.status_code == 403
    assert response.json()["code"] == 20002
    cid = sim.customer_id("northwind.onmicrosoft.com")
    sim.http.post(f"/_sim/customers/{cid}/accept-relationship")
    assert _cart_error(sim, sim.cart_body(), domain="northwind.onmicrosoft.com").status_code == 201


def test_checkout_without_mca_is_403_13605_then_works_after_attestation(sim: Sim) -> None:
    fabrikam = "fabrikam.onmicrosoft.com"
    cart_id = sim.place_cart(fabrikam)
    refused = _checkout(sim, fabrikam, cart_id)
    assert refused.status_code == 403
    assert refused.json()["code"] == 13605
    cid = sim.customer_id(fabrikam)
    attestation = {
        "primaryContact": {"firstName": "G", "lastName": "H", "email": "g@fabrikam.example"},
        "templateId": sim.seed.mca_template_id,
        "dateAgreed": "2026-11-25T00:00:00Z",
        "type": "MicrosoftCustomerAgreement",
    }
    assert sim.pc("POST", f"/v1/customers/{cid}/agreements", json=attestation).status_code == 201
    placed = _checkout(sim, fabrikam, cart_id)
    assert placed.status_code == 201
    assert len(placed.json()["orders"]) == 1


def test_checkout_places_a_pending_order_and_marks_the_cart_ordered(sim: Sim) -> None:
    cart_id = sim.place_cart()
    response = _checkout(sim, CONTOSO, cart_id)
    assert response.status_code == 201
    result = response.json()
    assert result["attributes"] == {"objectType": "CartCheckoutResult"}
    (order,) = result["orders"]
    assert order["status"] == "pending"
    assert order["referenceCustomerId"] == sim.customer_id(CONTOSO)
    assert order["lineItems"][0]["offerId"] == sim.catalog_item()
    assert "subscriptionId" not in order["lineItems"][0]
    cart = sim.pc("GET", f"/v1/customers/{sim.customer_id(CONTOSO)}/carts/{cart_id}").json()
    assert cart["status"] == "Ordered"


def test_second_checkout_repeats_the_first_answer_and_creates_nothing(sim: Sim) -> None:
    cart_id = sim.place_cart()
    first = _checkout(sim, CONTOSO, cart_id)
    second = _checkout(sim, CONTOSO, cart_id)
    assert second.status_code == first.status_code == 201
    assert second.json() == first.json()
    assert len(sim.sim_orders(sim.customer_id(CONTOSO))) == 1


def test_concurrent_checkouts_of_one_cart_create_exactly_one_order(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"checkout_processing_seconds": 0.2})
    cart_id = sim.place_cart()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: _checkout(sim, CONTOSO, cart_id), range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.json()["code"] == 800064
    orders = sim.sim_orders(sim.customer_id(CONTOSO))
    assert len(orders) == 1
    ids = {r.json()["orders"][0]["id"] for r in responses if r.status_code == 201}
    assert ids == {orders[0]["id"]}


def test_checkout_while_another_is_processing_is_409_800064(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"checkout_processing_seconds": 1.0})
    cid = sim.customer_id(CONTOSO)
    cart_id = sim.place_cart()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(_checkout, sim, CONTOSO, cart_id)
        deadline = time.monotonic() + 5
        while not sim.http.get(f"/_sim/customers/{cid}/carts").json()["items"][0]["checkingOut"]:
            assert time.monotonic() < deadline, "the first checkout never started"
            time.sleep(0.01)
        second = _checkout(sim, CONTOSO, cart_id)
        assert second.status_code == 409
        assert second.json()["code"] == 800064
        assert first.result().status_code == 201
    assert len(sim.sim_orders(cid)) == 1


def test_lines_with_different_billing_cycles_become_separate_orders(sim: Sim) -> None:
    body = sim.cart_body()
    body["lineItems"].append(
        {
            "id": 1,
            "catalogItemId": sim.catalog_item("CFQ7TTC0LH18"),
            "quantity": 2,
            "billingCycle": "annual",
            "termDuration": "P1Y",
        }
    )
    cid = sim.customer_id(CONTOSO)
    cart = sim.pc("POST", f"/v1/customers/{cid}/carts", json=body).json()
    assert [line["orderGroup"] for line in cart["lineItems"]] == ["0", "1"]
    result = _checkout(sim, CONTOSO, cart["id"]).json()
    assert sorted(o["billingCycle"] for o in result["orders"]) == ["annual", "monthly"]


def test_update_cart_replaces_lines_until_ordered(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    cart_id = sim.place_cart()
    path = f"/v1/customers/{cid}/carts/{cart_id}"
    updated = sim.pc("PUT", path, json=sim.cart_body(quantity=9))
    assert updated.status_code == 200
    assert updated.json()["lineItems"][0]["quantity"] == 9
    _checkout(sim, CONTOSO, cart_id)
    refused = sim.pc("PUT", path, json=sim.cart_body(quantity=1))
    assert refused.status_code == 400
    assert refused.json()["code"] == 800065


def test_expired_cart_is_gone_but_an_ordered_one_stays_readable(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    active = sim.place_cart()
    assert sim.http.post(f"/_sim/customers/{cid}/carts/{active}/expire").status_code == 200
    assert sim.pc("GET", f"/v1/customers/{cid}/carts/{active}").status_code == 404
    assert _checkout(sim, CONTOSO, active).status_code == 404
    ordered = sim.place_cart()
    _checkout(sim, CONTOSO, ordered)
    sim.http.post(f"/_sim/customers/{cid}/carts/{ordered}/expire")
    assert sim.pc("GET", f"/v1/customers/{cid}/carts/{ordered}").json()["status"] == "Ordered"


def test_cart_of_another_customer_or_partner_is_404(sim: Sim) -> None:
    cart_id = sim.place_cart()
    other = sim.customer_id("contosoltd.onmicrosoft.com")
    assert sim.pc("GET", f"/v1/customers/{other}/carts/{cart_id}").status_code == 404
    contoso = sim.customer_id(CONTOSO)
    assert sim.pc("GET", f"/v1/customers/{contoso}/carts/{cart_id}", "indirect").status_code == 404
    assert sim.pc("GET", f"/v1/customers/{contoso}/carts/{uuid.uuid4()}").status_code == 404


def test_create_cart_retry_with_same_request_id_creates_one_cart(sim: Sim) -> None:
    cid = sim.customer_id(CONTOSO)
    request_id = str(uuid.uuid4())
    first = sim.pc(
        "POST", f"/v1/customers/{cid}/carts", request_id=request_id, json=sim.cart_body()
    )
    again = sim.pc(
        "POST", f"/v1/customers/{cid}/carts", request_id=request_id, json=sim.cart_body()
    )
    assert first.json()["id"] == again.json()["id"]
    assert len(sim.http.get(f"/_sim/customers/{cid}/carts").json()["items"]) == 1


def test_order_error_fault_reports_a_failed_order_group_and_keeps_the_cart_active(sim: Sim) -> None:
    cart_id = sim.place_cart()
    rule = {"kind": "order_error", "path": "/v1/customers/*/carts/*/checkout", "count": 1}
    assert sim.http.post("/_sim/faults", json=rule).status_code == 201
    failed = _checkout(sim, CONTOSO, cart_id).json()
    assert failed["orders"] == []
    assert failed["orderErrors"][0]["code"] == 800060
    assert failed["orderErrors"][0]["orderGroupId"] == "0"
    retried = _checkout(sim, CONTOSO, cart_id).json()
    assert len(retried["orders"]) == 1
    assert len(sim.sim_orders(sim.customer_id(CONTOSO))) == 1
