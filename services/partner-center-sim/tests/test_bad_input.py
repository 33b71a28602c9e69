"""Bad input never yields a 500: malformed JSON, wrong types and arbitrary bodies get 4xx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nceflow.testing.simulator import Sim

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Keys Partner Center bodies use, so that generated objects get past the first checks.
KNOWN_KEYS = st.sampled_from(
    [
        "lineItems",
        "catalogItemId",
        "quantity",
        "billingCycle",
        "termDuration",
        "participants",
        "PartnerOnRecordAttestationAccepted",
        "companyProfile",
        "billingProfile",
        "domain",
        "primaryContact",
        "templateId",
        "dateAgreed",
        "type",
        "qualification",
        "addressLine1",
        "country",
    ]
)
SHAPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(KNOWN_KEYS, children, max_size=5)
    ),
    max_leaves=15,
)


def _targets(sim: Sim) -> list[tuple[str, str, str]]:
    cid = sim.customer_id("contoso.onmicrosoft.com")
    cart_id = sim.place_cart()
    return [
        ("POST", "/v1/customers", "direct"),
        ("POST", f"/v1/customers/{cid}/carts", "indirect"),
        ("PUT", f"/v1/customers/{cid}/carts/{cart_id}", "direct"),
        ("POST", f"/v1/customers/{cid}/agreements", "direct"),
        ("POST", f"/v1/customers/{cid}/qualifications", "direct"),
        ("POST", "/v1/validations/address", "direct"),
    ]


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code == 400:
        body = response.json()
        assert set(body) == {"code", "description", "data", "source"}
        assert body["source"] == "PartnerFD"


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"[]", b"null", b'"text"', b"\xff\xfe", b'{"lineItems": 5}'],
)
def test_malformed_bodies_get_microsoft_shaped_400(sim: Sim, raw: bytes) -> None:
    for method, path, key in _targets(sim):
        response = sim.pc(
            method, path, key, content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (path, response.text)
        _check(response)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=JSON | SHAPED)
def test_arbitrary_json_bodies_never_cause_a_500(sim: Sim, body: Any) -> None:
    raw = json.dumps(body).encode()
    for method, path, key in _targets(sim):
        _check(sim.pc(method, path, key, content=raw, headers={"Content-Type": "application/json"}))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.dictionaries(
        st.sampled_from(
            ["grant_type", "client_id", "client_secret", "resource", "scope", "refresh_token"]
        ),
        st.text(max_size=30),
        max_size=6,
    ),
    v2=st.booleans(),
)
def test_arbitrary_token_requests_never_cause_a_500(
    sim: Sim, form: dict[str, str], v2: bool
) -> None:
    path = f"/{sim.partner().tenant_id}/oauth2/{'v2.0/' if v2 else ''}token"
    response = sim.http.post(path, data=form)
    assert response.status_code in {400, 401}
    assert "error" in response.json()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["size", "filter", "country", "targetView", "agreementType"]),
        st.text(max_size=40),
        max_size=4,
    )
)
def test_arbitrary_query_strings_never_cause_a_500(sim: Sim, params: dict[str, str]) -> None:
    for path in ("/v1/customers", "/v1/products", "/v1/agreements"):
        _check(sim.pc("GET", path, params=params))


def test_wrong_types_in_a_cart_line_are_400(sim: Sim) -> None:
    cid = sim.customer_id("contoso.onmicrosoft.com")
    for field, value in [("quantity", "5"), ("quantity", 2.5), ("catalogItemId", 7)]:
        body = sim.cart_body()
        body["lineItems"][0][field] = value
        response = sim.pc("POST", f"/v1/customers/{cid}/carts", json=body)
        assert response.status_code == 400
        assert response.json()["data"][0]["field"].startswith("lineitems.0.")


def test_unknown_routes_and_methods_answer_in_microsofts_shape(sim: Sim) -> None:
    missing = sim.pc("GET", "/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["source"] == "PartnerFD"
    wrong_method = sim.pc("DELETE", "/v1/customers")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["source"] == "PartnerFD"
