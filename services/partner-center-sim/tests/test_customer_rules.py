""" "Create a customer": `companyProfile.organizationRegistrationNumber` is required for customers
in the countries the page lists; Partner Center refuses the creation without it."""

from __future__ import annotations

from typing import Any

import pytest

from nceflow.partner_center_sim.domain.customer_rules import REGISTRATION_NUMBER_COUNTRIES
from nceflow.testing.simulator import Sim, new_customer_body


def _body(domain: str, country: str, number: str | None = None) -> dict[str, Any]:
    body = new_customer_body(domain)
    body["billingProfile"]["defaultAddress"]["country"] = country
    if number is not None:
        body["companyProfile"]["organizationRegistrationNumber"] = number
    return body


@pytest.mark.parametrize("country", ["BR", "IN", "PL", "ZA"])
def test_a_customer_in_a_listed_country_needs_a_registration_number(sim: Sim, country: str) -> None:
    assert country in REGISTRATION_NUMBER_COUNTRIES
    domain = f"regnum{country.lower()}.onmicrosoft.com"
    refused = sim.pc("POST", "/v1/customers", json=_body(domain, country))
    assert refused.status_code == 400
    assert refused.json()["code"] == 600049
    assert refused.json()["description"] == "Organization registration id information is missing."
    created = sim.pc("POST", "/v1/customers", json=_body(domain, country, "12.345.678/0001-90"))
    assert created.status_code == 201, created.text
    read = sim.pc("GET", f"/v1/customers/{created.json()['id']}")
    assert read.json()["companyProfile"]["organizationRegistrationNumber"] == "12.345.678/0001-90"


def test_other_countries_need_none_and_a_bad_number_is_refused(sim: Sim) -> None:
    assert "US" not in REGISTRATION_NUMBER_COUNTRIES
    plain = sim.pc("POST", "/v1/customers", json=_body("regnumus.onmicrosoft.com", "US"))
    assert plain.status_code == 201, plain.text
    assert "organizationRegistrationNumber" not in plain.json()["companyProfile"]
    bad = sim.pc("POST", "/v1/customers", json=_body("regnumbad.onmicrosoft.com", "BR", "<x>"))
    assert bad.status_code == 400
    assert bad.json()["code"] == 600050


@pytest.mark.parametrize("country", ["BR", "HU", "TR"])
def test_a_customer_there_needs_a_phone_number_too(sim: Sim, country: str) -> None:
    """ "Utility resources" (Address.PhoneNumber): mandatory in a customer profile there."""
    domain = f"phone{country.lower()}.onmicrosoft.com"
    body = _body(domain, country, "12345678")
    del body["billingProfile"]["defaultAddress"]["phoneNumber"]
    refused = sim.pc("POST", "/v1/customers", json=body)
    assert refused.status_code == 400
    assert refused.json()["code"] == 600051
    assert "phoneNumber" in refused.json()["description"]
    assert (
        sim.pc("POST", "/v1/customers", json=_body(domain, country, "12345678")).status_code == 201
    )


def test_elsewhere_the_phone_number_is_optional(sim: Sim) -> None:
    body = _body("phoneus.onmicrosoft.com", "US")
    del body["billingProfile"]["defaultAddress"]["phoneNumber"]
    created = sim.pc("POST", "/v1/customers", json=body)
    assert created.status_code == 201, created.text
