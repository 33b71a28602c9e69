"""Domains, customer lookup by domain prefix, paging, customer creation, relationship link."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from nceflow.testing.simulator import Sim, new_customer_body


def _filter(value: str, field: str = "Domain") -> str:
    return json.dumps({"Field": field, "Value": value, "Operator": "starts_with"})


@pytest.mark.parametrize(
    ("domain", "status"),
    [
        ("contoso.onmicrosoft.com", 200),
        ("CONTOSO.onmicrosoft.com", 200),
        ("taken.onmicrosoft.com", 200),
        ("brand-new-tenant.onmicrosoft.com", 404),
    ],
)
def test_head_domain_is_200_when_taken_and_404_when_free(
    sim: Sim, domain: str, status: int
) -> None:
    response = sim.pc("HEAD", f"/v1/domains/{domain}")
    assert response.status_code == status
    assert response.content == b""


def test_domain_filter_is_a_prefix_match_so_callers_must_compare_exactly(sim: Sim) -> None:
    response = sim.pc("GET", "/v1/customers", params={"size": 50, "filter": _filter("contoso")})
    assert response.status_code == 200
    body = response.json()
    domains = [c["companyProfile"]["domain"] for c in body["items"]]
    assert domains == ["contoso.onmicrosoft.com", "contosoltd.onmicrosoft.com"]
    assert body["attributes"] == {"objectType": "Collection"}
    assert body["totalCount"] == 2
    first = body["items"][0]
    assert first["relationshipToPartner"] == "reseller"
    assert first["attributes"]["objectType"] == "Customer"
    assert first["companyProfile"]["attributes"]["objectType"] == "CustomerCompanyProfile"


def test_filter_value_ignores_case_and_company_name_works(sim: Sim) -> None:
    by_domain = sim.pc("GET", "/v1/customers", params={"filter": _filter("FABRIKAM")})
    assert [c["companyProfile"]["companyName"] for c in by_domain.json()["items"]] == [
        "Fabrikam, Inc."
    ]
    by_name = sim.pc("GET", "/v1/customers", params={"filter": _filter("north", "CompanyName")})
    assert by_name.json()["items"][0]["relationshipToPartner"] == "none"


def test_paging_follows_links_next_with_the_continuation_token_header(sim: Sim) -> None:
    seen: list[str] = []
    response = sim.pc("GET", "/v1/customers", params={"size": 1, "filter": _filter("")})
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [c["companyProfile"]["domain"] for c in body["items"]]
        pages += 1
        if "next" not in body.get("links", {}):
            assert "continuationToken" not in body
            break
        next_link = body["links"]["next"]
        (header,) = next_link["headers"]
        assert header["key"] == "MS-ContinuationToken"
        assert body["continuationToken"] == header["value"]
        response = sim.pc(
            next_link["method"],
            "/v1" + next_link["uri"],
            headers={header["key"]: header["value"]},
        )
    assert pages == 4
    assert sorted(seen) == sorted(c.domain for c in sim.seed.customers)


def test_bad_filter_and_bad_continuation_token_are_400(sim: Sim) -> None:
    for params in (
        {"filter": "not json"},
        {"filter": json.dumps({"Field": "Domain", "Value": "x", "Operator": "equals"})},
        {"filter": json.dumps({"Field": "Phone", "Value": "x", "Operator": "starts_with"})},
        {"size": "-1"},
    ):
        response = sim.pc("GET", "/v1/customers", params=params)
        assert response.status_code == 400, params
        assert response.json()["source"] == "PartnerFD"
    response = sim.pc("GET", "/v1/customers", headers={"MS-ContinuationToken": "%%%"})
    assert response.status_code == 400


def test_customer_lists_are_per_partner(sim: Sim) -> None:
    created = sim.pc(
        "POST", "/v1/customers", "direct", json=new_customer_body("onlydirect.onmicrosoft.com")
    )
    assert created.status_code == 201
    indirect = sim.pc("GET", "/v1/customers", "indirect", params={"filter": _filter("onlydirect")})
    assert indirect.json()["items"] == []
    other = sim.pc("GET", f"/v1/customers/{created.json()['id']}", "indirect")
    assert other.status_code == 404


def test_get_customer_shows_relationship_and_billing_profile(sim: Sim) -> None:
    cid = sim.customer_id("northwind.onmicrosoft.com")
    response = sim.pc("GET", f"/v1/customers/{cid}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == cid
    assert body["relationshipToPartner"] == "none"
    assert body["billingProfile"]["attributes"]["objectType"] == "CustomerBillingProfile"
    accepted = sim.http.post(f"/_sim/customers/{cid}/accept-relationship?partner=direct")
    assert accepted.status_code == 200
    assert sim.pc("GET", f"/v1/customers/{cid}").json()["relationshipToPartner"] == "reseller"
    # Accepting for one partner leaves the other one pending.
    assert (
        sim.pc("GET", f"/v1/customers/{cid}", "indirect").json()["relationshipToPartner"] == "none"
    )


@pytest.mark.parametrize(
    ("customer_id", "status", "code"),
    [(str(uuid.uuid4()), 404, 1000), ("not-a-guid", 400, 600008)],
)
def test_unknown_or_malformed_customer_id(
    sim: Sim, customer_id: str, status: int, code: int
) -> None:
    response = sim.pc("GET", f"/v1/customers/{customer_id}")
    assert response.status_code == status
    assert response.json()["code"] == code


def test_create_customer_returns_201_tenant_id_and_one_time_credentials(sim: Sim) -> None:
    response = sim.pc("POST", "/v1/customers", json=new_customer_body("tailspin.onmicrosoft.com"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["companyProfile"]["tenantId"] == body["id"]
    assert body["companyProfile"]["domain"] == "tailspin.onmicrosoft.com"
    assert body["userCredentials"]["userName"] == "admin"
    assert len(body["userCredentials"]["password"]) >= 8
    assert body["attributes"] == {"objectType": "Customer"}
    assert sim.pc("HEAD", "/v1/domains/tailspin.onmicrosoft.com").status_code == 200
    read = sim.pc("GET", f"/v1/customers/{body['id']}").json()
    assert read["relationshipToPartner"] == "reseller"
    assert "userCredentials" not in read


def test_create_customer_is_idempotent_per_ms_request_id(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    body = new_customer_body("retried.onmicrosoft.com")
    first = sim.pc("POST", "/v1/customers", request_id=request_id, json=body)
    second = sim.pc("POST", "/v1/customers", request_id=request_id, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    tenants = sim.http.get("/_sim/customers").json()["items"]
    assert sum(c["domain"] == "retried.onmicrosoft.com" for c in tenants) == 1
    fresh = sim.pc("POST", "/v1/customers", json=body)
    assert fresh.status_code == 409


def test_indirect_provider_creates_customer_for_its_reseller(sim: Sim) -> None:
    reseller = sim.partner("indirect").resellers[1]
    response = sim.pc(
        "POST",
        "/v1/customers",
        "indirect",
        json=new_customer_body(
            "wingtipclient.onmicrosoft.com", associatedPartnerId=reseller.partner_id
        ),
    )
    assert response.status_code == 201, response.text
    assert response.json()["associatedPartnerId"] == reseller.partner_id
    by_reseller = sim.pc(
        "GET",
        "/v1/customers",
        "indirect",
        params={"filter": _filter(reseller.partner_id, "IndirectReseller")},
    )
    assert [c["id"] for c in by_reseller.json()["items"]] == [response.json()["id"]]


@pytest.mark.parametrize(
    ("key", "associated"),
    [("direct", "71cc128f-b45b-4900-9ede-424776790f49"), ("indirect", str(uuid.uuid4()))],
)
def test_associated_partner_must_be_one_of_the_providers_resellers(
    sim: Sim, key: str, associated: str
) -> None:
    body = new_customer_body("assoc.onmicrosoft.com", associatedPartnerId=associated)
    response = sim.pc("POST", "/v1/customers", key, json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 600008


def test_create_customer_accepts_microsofts_pascal_case_sample(sim: Sim, sample: Any) -> None:
    request = sample("create_customer.json")["request"]
    response = sim.pc("POST", "/v1/customers", json=request["body"])
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("companyProfile"),
        lambda b: b["companyProfile"].update(domain="not a domain"),
        lambda b: b["billingProfile"].update(email="nope"),
        lambda b: b["billingProfile"]["defaultAddress"].pop("city"),
        lambda b: b["billingProfile"]["defaultAddress"].update(country="USA"),
        lambda b: b["billingProfile"].update(companyName=7),
    ],
)
def test_create_customer_validates_the_body(sim: Sim, mutate: Any) -> None:
    body = new_customer_body("valid.onmicrosoft.com")
    mutate(body)
    response = sim.pc("POST", "/v1/customers", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 600008
    assert response.json()["data"]


def test_relationship_request_link_names_the_partner(sim: Sim) -> None:
    response = sim.pc("GET", "/v1/customers/relationshiprequests", "indirect")
    assert response.status_code == 200
    body = response.json()
    assert body["attributes"] == {"objectType": "RelationshipRequest"}
    assert body["url"].startswith(
        "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId="
        + sim.partner("indirect").tenant_id
    )
    assert body["url"].endswith("#/BillingAccounts/partner-invitation")
