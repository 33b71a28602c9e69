"""Fault injection: 429/500/503, latency, dropped connections and lost responses."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from nceflow.testing.simulator import Sim

CUSTOMERS = "/v1/customers"


def _fault(sim: Sim, **rule: Any) -> dict[str, Any]:
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_count_429_fires_exactly_n_times_with_retry_after(sim: Sim) -> None:
    _fault(sim, kind="429", path=CUSTOMERS, method="GET", count=2, retryAfterSeconds=7)
    statuses = [sim.pc("GET", CUSTOMERS) for _ in range(4)]
    assert [r.status_code for r in statuses] == [429, 429, 200, 200]
    throttled = statuses[0]
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 7 seconds.",
    }
    (rule,) = sim.http.get("/_sim/faults").json()["items"]
    assert (rule["hits"], rule["remaining"]) == (2, 0)


def test_method_and_path_must_match(sim: Sim) -> None:
    _fault(sim, kind="500", path="/v1/customers/*/carts", method="POST", count=5)
    assert sim.pc("GET", CUSTOMERS).status_code == 200
    cid = sim.customer_id("contoso.onmicrosoft.com")
    failed = sim.pc("POST", f"/v1/customers/{cid}/carts", json=sim.cart_body())
    assert failed.status_code == 500
    assert failed.json()["source"] == "PartnerFD"


def test_regex_path_and_503(sim: Sim) -> None:
    _fault(sim, kind="503", pathRegex=r"/v1/products(/.*)?", count=1, retryAfterSeconds=2)
    response = sim.pc("GET", "/v1/products", params={"country": "US"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert sim.pc("GET", "/v1/products", params={"country": "US"}).status_code == 200


def test_probability_is_reproducible_with_the_seeded_rng(sim: Sim) -> None:
    def run() -> list[int]:
        sim.http.delete("/_sim/faults")
        _fault(sim, kind="500", path=CUSTOMERS, probability=0.5)
        return [sim.pc("GET", CUSTOMERS).status_code for _ in range(30)]

    first = run()
    second = run()
    assert first == second
    assert 5 < first.count(500) < 25
    assert set(first) == {200, 500}


@pytest.mark.parametrize(("probability", "expected"), [(0.0, 200), (1.0, 500)])
def test_probability_bounds(sim: Sim, probability: float, expected: int) -> None:
    _fault(sim, kind="500", path=CUSTOMERS, probability=probability)
    assert {sim.pc("GET", CUSTOMERS).status_code for _ in range(5)} == {expected}


def test_latency_delays_then_serves(sim: Sim) -> None:
    _fault(sim, kind="latency", path=CUSTOMERS, latencyMs=300, count=1)
    started = time.perf_counter()
    response = sim.pc("GET", CUSTOMERS)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_drop_closes_the_connection_without_a_response(sim: Sim) -> None:
    _fault(sim, kind="drop", path=CUSTOMERS, count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        sim.pc("GET", CUSTOMERS)
    assert sim.pc("GET", CUSTOMERS).status_code == 200
    (entry, _) = sim.http.get("/_sim/requests", params={"path": CUSTOMERS}).json()["items"]
    assert entry["fault"] == "drop"
    assert entry["status"] is None
    assert entry["delivered"] is False


def test_lost_checkout_response_places_the_order_once(sim: Sim) -> None:
    cid = sim.customer_id("contoso.onmicrosoft.com")
    cart_id = sim.place_cart()
    checkout = f"/v1/customers/{cid}/carts/{cart_id}/checkout"
    _fault(sim, kind="lost_response", path="/v1/customers/*/carts/*/checkout", count=1)
    with pytest.raises(httpx.TransportError):
        sim.pc("POST", checkout)
    # The rule for callers: read the cart before checking out again.
    cart = sim.pc("GET", f"/v1/customers/{cid}/carts/{cart_id}").json()
    assert cart["status"] == "Ordered"
    again = sim.pc("POST", checkout)
    assert again.status_code == 201
    orders = sim.sim_orders(cid)
    assert len(orders) == 1
    assert again.json()["orders"][0]["id"] == orders[0]["id"]
    (lost,) = sim.http.get("/_sim/requests", params={"path": checkout, "since": 0}).json()["items"][
        :1
    ]
    assert (lost["status"], lost["delivered"], lost["fault"]) == (201, False, "lost_response")


def test_lost_response_hangs_until_the_client_times_out(sim: Sim) -> None:
    _fault(sim, kind="lost_response", path=CUSTOMERS, method="POST", count=1, hangSeconds=5)
    body = {
        "companyProfile": {"domain": "hung.onmicrosoft.com"},
        "billingProfile": {
            "culture": "en-US",
            "email": "a@b.example",
            "language": "en",
            "companyName": "Hung",
            "defaultAddress": {
                "firstName": "A",
                "lastName": "B",
                "addressLine1": "1 Way",
                "city": "Redmond",
                "state": "WA",
                "postalCode": "98052",
                "country": "US",
            },
        },
    }
    request_id = str(uuid.uuid4())
    started = time.perf_counter()
    with pytest.raises(httpx.ReadTimeout):
        sim.pc("POST", CUSTOMERS, request_id=request_id, json=body, timeout=0.5)
    assert time.perf_counter() - started < 3
    # The work was done: the domain is taken, and a retry with the same MS-RequestId gets the
    # original answer instead of a second tenant or a conflict.
    assert sim.pc("HEAD", "/v1/domains/hung.onmicrosoft.com").status_code == 200
    retried = sim.pc("POST", CUSTOMERS, request_id=request_id, json=body)
    assert retried.status_code == 201
    domains = [c["domain"] for c in sim.http.get("/_sim/customers").json()["items"]]
    assert domains.count("hung.onmicrosoft.com") == 1


def test_faults_also_apply_to_the_token_endpoint(sim: Sim) -> None:
    _fault(sim, kind="503", path="/*/oauth2/*", count=1)
    partner = sim.partner()
    form = {
        "grant_type": "client_credentials",
        "client_id": partner.app.client_id,
        "client_secret": partner.app.client_secret.get_secret_value(),
        "resource": "https://api.partnercenter.microsoft.com",
    }
    assert sim.http.post(f"/{partner.tenant_id}/oauth2/token", data=form).status_code == 503
    assert sim.http.post(f"/{partner.tenant_id}/oauth2/token", data=form).status_code == 200


def test_sim_api_is_never_faulted_and_delete_clears_rules(sim: Sim) -> None:
    _fault(sim, kind="500", path="/*")
    assert sim.http.get("/_sim/faults").status_code == 200
    assert sim.http.delete("/_sim/faults").status_code == 204
    assert sim.pc("GET", CUSTOMERS).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "teapot", "path": "/v1/*"},
        {"kind": "500"},
        {"kind": "500", "path": "/x", "pathRegex": "/x"},
        {"kind": "500", "pathRegex": "("},
        {"kind": "500", "path": "/x", "probability": 2},
        {"kind": "500", "path": "/x", "count": 0},
    ],
)
def test_bad_fault_rules_are_400(sim: Sim, rule: dict[str, Any]) -> None:
    assert sim.http.post("/_sim/faults", json=rule).status_code == 400


def test_reset_clears_faults(sim: Sim) -> None:
    _fault(sim, kind="500", path=CUSTOMERS)
    sim.http.post("/_sim/reset")
    assert sim.http.get("/_sim/faults").json()["items"] == []
    assert sim.pc("GET", CUSTOMERS).status_code == 200
