"""Indirect resellers and address validation."""

from __future__ import annotations

from typing import Any

import pytest

from nceflow.testing.simulator import Sim


def test_indirect_provider_lists_its_two_resellers(sim: Sim) -> None:
    response = sim.pc(
        "GET",
        "/v1/relationships",
        "indirect",
        params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(r["name"], r["mpnId"]) for r in items] == [
        ("Tailspin IT Services", "6203118"),
        ("Wingtip Technology Partners", "6318454"),
    ]
    assert all(r["relationshipType"] == "is_indirect_cloud_solution_provider_of" for r in items)
    assert all(r["attributes"] == {"objectType": "PartnerRelationship"} for r in items)


def test_direct_partner_has_no_resellers_and_type_is_required(sim: Sim) -> None:
    direct = sim.pc(
        "GET",
        "/v1/relationships",
        params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
    )
    assert direct.json()["items"] == []
    assert sim.pc("GET", "/v1/relationships").status_code == 400
    wrong = sim.pc("GET", "/v1/relationships", params={"relationship_type": "Friends"})
    assert wrong.status_code == 400


def test_microsofts_address_sample_validates(sim: Sim, sample: Any) -> None:
    body = sample("validate_address.json")["request"]["body"]
    response = sim.pc("POST", "/v1/validations/address", json=body)
    assert response.status_code == 200
    assert response.json()["status"] == "VerifiedShippable"
    assert response.json()["originalAddress"]["postalCode"] == "98052"


@pytest.mark.parametrize("changes", [{"State": "XX"}, {"PostalCode": "ABCDE"}, {"Country": "USA"}])
def test_invalid_us_address_is_not_validated(
    sim: Sim, sample: Any, changes: dict[str, str]
) -> None:
    body = sample("validate_address.json")["request"]["body"] | changes
    response = sim.pc("POST", "/v1/validations/address", json=body)
    assert response.status_code == 200
    assert response.json()["status"] == "NotValidated"
    assert response.json()["validationMessage"]


def test_address_without_required_fields_is_400(sim: Sim) -> None:
    response = sim.pc("POST", "/v1/validations/address", json={"city": "Redmond"})
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["data"]} >= {"addressline1", "country"}
