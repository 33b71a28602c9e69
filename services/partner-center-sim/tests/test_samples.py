"""Contract tests: the simulator's answers have the shape of Microsoft's documented samples.

Every member of a sample (kept in `tests/samples/` with the page title it came from) must be
present in the simulator's answer with the same JSON type, recursively, and every
`attributes.objectType` must be equal. The simulator may add members Microsoft's resource
tables define but the sample omits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from nceflow.testing.simulator import Sim, new_customer_body

Sample = Callable[[str], dict[str, Any]]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(expected: Any, actual: Any, where: str = "$") -> None:
    """Fail unless `actual` has every member of `expected`, with the same JSON types."""
    if expected is None:
        return
    assert _kind(actual) == _kind(expected), f"{where}: {actual!r} is not like {expected!r}"
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert key in actual, f"{where}: missing {key!r} (has {sorted(actual)})"
            if key == "objectType":
                assert actual[key] == value, f"{where}.objectType: {actual[key]} != {value}"
            assert_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list) and expected:
        assert actual, f"{where}: empty list, expected items like {expected[0]!r}"
        for item in actual:
            assert_shape(expected[0], item, f"{where}[]")


def _check(sample: dict[str, Any], response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == sample["response"]["status"], response.text
    body: dict[str, Any] = response.json()
    assert_shape(sample["response"]["body"], body)
    return body


def test_customers_filtered_by_domain(sim: Sim, sample: Sample) -> None:
    document = sample("get_customers_filtered.json")
    domain_filter = json.dumps({"Field": "Domain", "Value": "cont", "Operator": "starts_with"})
    response = sim.pc("GET", "/v1/customers", params={"size": 0, "filter": domain_filter})
    _check(document, response)


def test_create_customer(sim: Sim, sample: Sample) -> None:
    document = sample("create_customer.json")
    body = _check(document, sim.pc("POST", "/v1/customers", json=document["request"]["body"]))
    assert body["relationshipToPartner"] == "none"
    assert body["companyProfile"]["domain"] == "xyz.ccsctp.net"


def test_confirm_customer_agreement(sim: Sim, sample: Sample) -> None:
    document = sample("confirm_customer_agreement.json")
    cid = sim.customer_id("fabrikam.onmicrosoft.com")
    response = sim.pc("POST", f"/v1/customers/{cid}/agreements", json=document["request"]["body"])
    body = _check(document, response)
    assert body["dateAgreed"].startswith("2018-06-14T00:00:00")


def test_agreement_metadata(sim: Sim, sample: Sample) -> None:
    document = sample("get_agreement_metadata.json")
    response = sim.pc("GET", "/v1/agreements?agreementType=MicrosoftCustomerAgreement")
    assert _check(document, response) == document["response"]["body"]


def test_relationship_request(sim: Sim, sample: Sample) -> None:
    document = sample("request_reseller_relationship.json")
    _check(document, sim.pc("GET", "/v1/customers/relationshiprequests"))


def test_indirect_resellers(sim: Sim, sample: Sample) -> None:
    document = sample("get_indirect_resellers.json")
    path = document["request"]["path"]
    _check(document, sim.pc("GET", path, "indirect"))


def test_availability_of_business_basic(sim: Sim, sample: Sample) -> None:
    document = sample("get_availability_nce.json")
    body = _check(document, sim.pc("GET", document["request"]["path"]))
    assert body["catalogItemId"] == document["response"]["body"]["catalogItemId"]
    assert body["attributes"] == {"objectType": "Availability"}


def _sample_cart(sim: Sim, sample: Sample) -> dict[str, Any]:
    body: dict[str, Any] = sample("create_cart.json")["request"]["body"]
    reseller = sim.partner("indirect").resellers
    first, second = body["lineItems"]
    first["catalogItemId"] = sim.catalog_item("CFQ7TTC0LH18")
    second["catalogItemId"] = sim.catalog_item("CFQ7TTC0LFLX")
    second["participants"][0]["value"] = reseller[0].mpn_id
    first["participants"] = [{"key": "transaction_reseller", "value": reseller[1].mpn_id}]
    return body


def test_create_cart_and_checkout(sim: Sim, sample: Sample) -> None:
    cid = sim.customer_id("contoso.onmicrosoft.com")
    response = sim.pc(
        "POST", f"/v1/customers/{cid}/carts", "indirect", json=_sample_cart(sim, sample)
    )
    cart = _check(sample("create_cart.json"), response)
    checkout_sample = sample("checkout_cart.json")
    expected_result = json.loads(json.dumps(checkout_sample["response"]["body"]))
    del expected_result["orders"][0]["lineItems"][0]["subscriptionId"]  # only once completed
    checkout = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart['id']}/checkout", "indirect")
    assert checkout.status_code == 201
    result = checkout.json()
    assert_shape(expected_result, result)
    order_id = result["orders"][0]["id"]
    sim.http.post(f"/_sim/orders/{order_id}/complete")
    order = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}", "indirect").json()
    expected_order = dict(checkout_sample["response"]["body"]["orders"][0], status="completed")
    assert_shape(expected_order, order)
    assert order["lineItems"][1]["partnerIdOnRecord"] == sim.partner("indirect").resellers[0].mpn_id


def test_mca_refusal_is_the_documented_error(sim: Sim, sample: Sample) -> None:
    document = sample("error_response.json")
    cid = sim.customer_id("fabrikam.onmicrosoft.com")
    cart_id = sim.place_cart("fabrikam.onmicrosoft.com")
    response = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout")
    assert response.status_code == 403
    assert response.json() == document["response"]["body"]


def _check_error(sample: dict[str, Any], response: httpx.Response) -> None:
    """Microsoft's error body: the same status, code and members; the text may differ."""
    body = _check(sample, response)
    assert body["code"] == sample["response"]["body"]["code"]
    assert body["description"]


def test_a_withdrawn_availability_is_the_documented_404(sim: Sim, sample: Sample) -> None:
    cid = sim.customer_id("contoso.onmicrosoft.com")
    cart_id = sim.place_cart()
    withdrawn = {"catalogItemId": sim.catalog_item(), "replace": True}
    assert sim.http.post("/_sim/catalog/withdraw", json=withdrawn).status_code == 200
    response = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout")
    _check_error(sample("error_availability_not_found.json"), response)


def test_a_new_checkout_of_an_ordered_cart_is_the_documented_800065(
    sim: Sim, sample: Sample
) -> None:
    sim.http.patch("/_sim/config", json={"repeat_checkout": "already_submitted"})
    cid = sim.customer_id("contoso.onmicrosoft.com")
    path = f"/v1/customers/{cid}/carts/{sim.place_cart()}/checkout"
    assert sim.pc("POST", path).status_code == 201
    _check_error(sample("error_cart_already_submitted.json"), sim.pc("POST", path))


def test_a_cart_line_error_and_the_refused_checkout(sim: Sim, sample: Sample) -> None:
    document = sample("create_cart_line_error.json")
    cid = sim.customer_id("contoso.onmicrosoft.com")
    product, sku, _ = sim.catalog_item().split(":")
    attestation = {"productId": product, "skuId": sku, "attestationText": "Eligible."}
    assert sim.http.post("/_sim/catalog/attestation", json=attestation).status_code == 200
    created = sim.pc("POST", f"/v1/customers/{cid}/carts", json=sim.cart_body())
    cart = _check(document, created)
    expected = document["response"]["body"]["lineItems"][0]["error"]
    assert cart["lineItems"][0]["error"]["errorCode"] == expected["errorCode"]
    checkout = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart['id']}/checkout")
    _check_error(sample("error_cart_line_errors.json"), checkout)


def test_a_missing_registration_number_is_the_documented_600049(sim: Sim, sample: Sample) -> None:
    body = new_customer_body("regsample.onmicrosoft.com")
    body["billingProfile"]["defaultAddress"]["country"] = "BR"
    response = sim.pc("POST", "/v1/customers", json=body)
    _check_error(sample("error_registration_number_missing.json"), response)


def test_throttling_answer(sim: Sim, sample: Sample) -> None:
    document = sample("throttled.json")
    rule = {"kind": "429", "path": "/v1/*", "count": 1, "retryAfterSeconds": 5}
    sim.http.post("/_sim/faults", json=rule)
    response = sim.pc("GET", "/v1/customers")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == document["response"]["headers"]["Retry-After"]
    assert response.json() == document["response"]["body"]


def test_create_qualification(sim: Sim, sample: Sample) -> None:
    document = sample("create_qualification.json")
    cid = sim.customer_id("contoso.onmicrosoft.com")
    response = sim.pc(
        "POST", f"/v1/customers/{cid}/qualifications", json=document["request"]["body"]
    )
    _check(document, response)


def test_shape_checker_catches_missing_members_and_wrong_types() -> None:
    for expected, actual in [
        ({"a": 1}, {}),
        ({"a": 1}, {"a": "1"}),
        ({"attributes": {"objectType": "Cart"}}, {"attributes": {"objectType": "Order"}}),
        ({"items": [{"id": "x"}]}, {"items": []}),
    ]:
        try:
            assert_shape(expected, actual)
        except AssertionError:
            continue
        raise AssertionError(f"{actual!r} passed as {expected!r}")
