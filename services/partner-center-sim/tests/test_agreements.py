"""Agreement metadata, MCA attestation and customer qualifications."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from nceflow.testing.simulator import Sim

MCA = "MicrosoftCustomerAgreement"


def _attestation(sim: Sim, **overrides: Any) -> dict[str, Any]:
    body = {
        "primaryContact": {
            "firstName": "Grace",
            "lastName": "Hopper",
            "email": "grace@fabrikam.example",
            "phoneNumber": "2065550111",
        },
        "templateId": sim.seed.mca_template_id,
        "dateAgreed": "2026-11-25T00:00:00Z",
        "type": MCA,
        "agreementLink": "https://aka.ms/customeragreement",
    }
    body.update(overrides)
    return body


def test_mca_metadata_gives_the_template_id(sim: Sim) -> None:
    response = sim.pc("GET", "/v1/agreements", params={"agreementType": MCA})
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item == {
        "templateId": "117a77b0-9360-443b-8795-c6dedc750cf9",
        "agreementType": MCA,
        "agreementLink": "https://aka.ms/customeragreement",
        "versionRank": 0,
    }
    everything = sim.pc("GET", "/v1/agreements", params={"agreementType": "*"}).json()
    assert everything["totalCount"] == 2
    default = sim.pc("GET", "/v1/agreements").json()["items"][0]
    assert default["agreementType"] == "MicrosoftCloudAgreement"
    assert sim.pc("GET", "/v1/agreements", params={"agreementType": "Nope"}).status_code == 400


def test_customer_agreements_list_the_seeded_mca(sim: Sim) -> None:
    contoso = sim.customer_id("contoso.onmicrosoft.com")
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    params = {"agreementType": MCA}
    with_mca = sim.pc("GET", f"/v1/customers/{contoso}/agreements", params=params).json()
    assert with_mca["totalCount"] == 1
    assert with_mca["items"][0]["type"] == MCA
    without = sim.pc("GET", f"/v1/customers/{fabrikam}/agreements", params=params).json()
    assert without["items"] == []


def test_attesting_mca_records_it_and_returns_201(sim: Sim) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    response = sim.pc("POST", f"/v1/customers/{fabrikam}/agreements", json=_attestation(sim))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["type"] == MCA
    assert body["templateId"] == sim.seed.mca_template_id
    assert body["dateAgreed"] == "2026-11-25T00:00:00Z"
    assert uuid.UUID(body["userId"])
    listed = sim.pc("GET", f"/v1/customers/{fabrikam}/agreements", params={"agreementType": MCA})
    assert listed.json()["totalCount"] == 1


def test_attestation_retry_with_same_request_id_records_once(sim: Sim) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    request_id = str(uuid.uuid4())
    for _ in range(2):
        response = sim.pc(
            "POST",
            f"/v1/customers/{fabrikam}/agreements",
            request_id=request_id,
            json=_attestation(sim),
        )
        assert response.status_code == 201
    listed = sim.pc("GET", f"/v1/customers/{fabrikam}/agreements").json()
    assert listed["totalCount"] == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"templateId": str(uuid.uuid4())},
        {"type": "MicrosoftCloudAgreement"},
        {"dateAgreed": "yesterday"},
        {"primaryContact": {"firstName": "A"}},
        {"primaryContact": {"firstName": "A", "lastName": "B", "email": "not-an-email"}},
    ],
)
def test_bad_attestations_are_400(sim: Sim, overrides: dict[str, Any]) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    body = _attestation(sim, **overrides)
    response = sim.pc("POST", f"/v1/customers/{fabrikam}/agreements", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 600008


def test_microsofts_attestation_sample_is_accepted(sim: Sim, sample: Any) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    document = sample("confirm_customer_agreement.json")
    response = sim.pc(
        "POST", f"/v1/customers/{fabrikam}/agreements", json=document["request"]["body"]
    )
    assert response.status_code == 201, response.text


def test_state_owned_entity_qualification_once(sim: Sim) -> None:
    contoso = sim.customer_id("contoso.onmicrosoft.com")
    path = f"/v1/customers/{contoso}/qualifications"
    assert sim.pc("GET", path).json() == []
    created = sim.pc("POST", path, json={"qualification": "StateOwnedEntity"})
    assert created.status_code == 201
    assert created.json()["qualification"] == "StateOwnedEntity"
    assert created.json()["vettingStatus"] == "Approved"
    assert [q["qualification"] for q in sim.pc("GET", path).json()] == ["StateOwnedEntity"]
    again = sim.pc("POST", path, json={"qualification": "StateOwnedEntity"})
    assert again.status_code == 409


def test_seeded_state_owned_entity_is_listed(sim: Sim) -> None:
    ltd = sim.customer_id("contosoltd.onmicrosoft.com")
    qualifications = sim.pc("GET", f"/v1/customers/{ltd}/qualifications").json()
    assert [q["qualification"] for q in qualifications] == ["StateOwnedEntity"]


@pytest.mark.parametrize(
    "body",
    [
        {"qualification": "Royalty"},
        {"qualification": "Education"},
        {"qualification": "GovernmentCommunityCloud"},
        {},
        {"qualification": 5},
    ],
)
def test_bad_qualifications_are_400(sim: Sim, body: dict[str, Any]) -> None:
    contoso = sim.customer_id("contoso.onmicrosoft.com")
    response = sim.pc("POST", f"/v1/customers/{contoso}/qualifications", json=body)
    assert response.status_code == 400


def test_education_qualification_goes_into_review(sim: Sim) -> None:
    contoso = sim.customer_id("contoso.onmicrosoft.com")
    response = sim.pc(
        "POST",
        f"/v1/customers/{contoso}/qualifications",
        json={"qualification": "Education", "educationSegment": "K12", "website": "contoso.edu"},
    )
    assert response.status_code == 201
    assert response.json()["vettingStatus"] == "InReview"
