"""Bearer token, MS-RequestId and App+User requirements on Partner Center calls."""

from __future__ import annotations

import time
import uuid

import pytest

from nceflow.testing.simulator import Sim, new_customer_body


def test_missing_token_is_401_with_partner_center_body(sim: Sim) -> None:
    response = sim.http.get("/v1/customers", headers={"MS-RequestId": str(uuid.uuid4())})
    assert response.status_code == 401
    assert response.json() == {
        "code": 800001,
        "description": "Partner Token missing in request context",
        "data": [],
        "source": "PartnerFD",
    }
    assert response.headers["WWW-Authenticate"].startswith("OAuth realm=")


@pytest.mark.parametrize("authorization", ["Bearer not-issued", "Basic abc", "Bearer"])
def test_token_not_issued_by_the_simulator_is_401(sim: Sim, authorization: str) -> None:
    response = sim.http.get(
        "/v1/customers",
        headers={"Authorization": authorization, "MS-RequestId": str(uuid.uuid4())},
    )
    assert response.status_code == 401
    assert response.json()["code"] == 400


def test_expired_token_is_401(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"token_lifetime_seconds": 1})
    token = sim.token()
    sim.http.patch("/_sim/config", json={"token_lifetime_seconds": 3600})
    response = sim.http.get(
        "/v1/customers",
        headers={"Authorization": f"Bearer {token}", "MS-RequestId": str(uuid.uuid4())},
    )
    # The token lives one second: poll until it has expired rather than sleeping blindly.
    deadline = time.monotonic() + 5
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        response = sim.http.get(
            "/v1/customers",
            headers={"Authorization": f"Bearer {token}", "MS-RequestId": str(uuid.uuid4())},
        )
    assert response.status_code == 401


@pytest.mark.parametrize("request_id", [None, "not-a-guid"])
def test_request_without_a_guid_ms_request_id_is_400(sim: Sim, request_id: str | None) -> None:
    headers = {"Authorization": f"Bearer {sim.token()}"}
    if request_id is not None:
        headers["MS-RequestId"] = request_id
    response = sim.http.get("/v1/customers", headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == 600008
    assert "MS-RequestId" in response.json()["description"]


def test_request_and_correlation_ids_are_echoed(sim: Sim) -> None:
    headers = sim.headers()
    response = sim.http.get("/v1/customers", headers=headers)
    assert response.status_code == 200
    assert response.headers["MS-RequestId"] == headers["MS-RequestId"]
    assert response.headers["MS-CorrelationId"] == headers["MS-CorrelationId"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/customers/relationshiprequests"),
        ("GET", "/v1/agreements?agreementType=MicrosoftCustomerAgreement"),
        ("GET", "/v1/customers/{cid}/agreements"),
        ("POST", "/v1/customers/{cid}/agreements"),
        ("POST", "/v1/customers/{cid}/qualifications"),
        ("GET", "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf"),
    ],
)
def test_app_only_token_is_refused_where_app_user_is_required(
    sim: Sim, method: str, path: str
) -> None:
    cid = sim.customer_id("fabrikam.onmicrosoft.com")
    response = sim.pc(method, path.format(cid=cid), "indirect", app_user=False, json={})
    assert response.status_code == 403
    assert response.json()["code"] == 2032
    assert "App+User" in response.json()["description"]


def test_app_only_token_may_read_customers_and_create_carts(sim: Sim) -> None:
    cid = sim.customer_id("contoso.onmicrosoft.com")
    assert sim.pc("GET", f"/v1/customers/{cid}", app_user=False).status_code == 200
    response = sim.pc("POST", f"/v1/customers/{cid}/carts", app_user=False, json=sim.cart_body())
    assert response.status_code == 201


def test_app_only_token_works_wherever_microsoft_documents_both_kinds(sim: Sim) -> None:
    """Every other call of `partner-center.md` ("This scenario supports authentication with both
    standalone App and App+User credentials" on its page) answers an App-only token."""
    cid = sim.customer_id("contoso.onmicrosoft.com")
    product, sku, _ = sim.catalog_item("CFQ7TTC0LH18").split(":")
    cart_id = sim.pc("POST", f"/v1/customers/{cid}/carts", json=sim.cart_body()).json()["id"]
    calls: list[tuple[str, str, dict[str, object] | None]] = [
        ("HEAD", "/v1/domains/contoso.onmicrosoft.com", None),  # Verify domain availability
        ("GET", "/v1/customers?size=10", None),  # Get a list of customers
        ("GET", f"/v1/customers/{cid}", None),  # Get a customer by ID
        ("GET", f"/v1/customers/{cid}/qualifications", None),  # Get a customer's qualification
        ("GET", "/v1/products?country=US&targetView=OnlineServices", None),
        ("GET", f"/v1/products/{product}/skus?country=US", None),
        ("GET", f"/v1/products/{product}/skus/{sku}/availabilities?country=US", None),
        ("GET", f"/v1/customers/{cid}/carts/{cart_id}", None),  # Get a cart
        ("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout", None),  # Checkout a cart
        ("GET", f"/v1/customers/{cid}/orders", None),  # Get all of a customer's orders
        (  # Validate an address
            "POST",
            "/v1/validations/address",
            {
                "addressLine1": "1 Microsoft Way",
                "city": "Redmond",
                "state": "WA",
                "postalCode": "98052",
                "country": "US",
            },
        ),
        ("POST", "/v1/customers", new_customer_body("apponly.onmicrosoft.com")),  # direct
    ]
    for method, path, body in calls:
        response = sim.pc(method, path, app_user=False, json=body)
        assert response.status_code < 400, (method, path, response.status_code, response.text)
    (order,) = sim.pc("GET", f"/v1/customers/{cid}/orders", app_user=False).json()["items"]
    by_id = sim.pc("GET", f"/v1/customers/{cid}/orders/{order['id']}", app_user=False)
    assert by_id.status_code == 200  # Get an order by ID


def test_an_indirect_resellers_customer_is_created_with_app_user_credentials_only(
    sim: Sim,
) -> None:
    # "Create a customer for an indirect reseller": App+User credentials only.
    reseller = sim.partner("indirect").resellers[0]
    body = new_customer_body("appuseronly.onmicrosoft.com", associatedPartnerId=reseller.partner_id)
    refused = sim.pc("POST", "/v1/customers", "indirect", app_user=False, json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == 2032
    assert "App+User" in refused.json()["description"]
    created = sim.pc("POST", "/v1/customers", "indirect", json=body)
    assert created.status_code == 201, created.text


def test_provisioning_status_takes_app_user_credentials_only(sim: Sim) -> None:
    # "Get order provisioning status": App+User only.
    cid = sim.customer_id("contoso.onmicrosoft.com")
    cart_id = sim.place_cart()
    order = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout").json()
    order_id = order["orders"][0]["id"]
    path = f"/v1/customers/{cid}/orders/{order_id}/provisioningstatus"
    refused = sim.pc("GET", path, app_user=False)
    assert refused.status_code == 403
    assert refused.json()["code"] == 2032
    assert sim.pc("GET", path).status_code == 200
