""" "Get indirect resellers of a customer" (`GET /v1/customers/{id}/relationships`, App+User
only) and the customer accepting an indirect reseller's relationship link
(`invType=IndirectResellerRelationship`, reseller and provider), through the control API."""

from __future__ import annotations

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _resellers(sim: Sim, customer_id: str) -> list[str]:
    response = sim.pc("GET", f"/v1/customers/{customer_id}/relationships", "indirect")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert all(r["relationshipType"] == "is_indirect_reseller_of" for r in items)
    return [r["id"] for r in items]


def test_a_customer_lists_the_resellers_it_accepted_and_gains_one_at_its_link(sim: Sim) -> None:
    tailspin, wingtip = (r.partner_id for r in sim.partner("indirect").resellers[:2])
    cid = sim.customer_id(CONTOSO)
    assert _resellers(sim, cid) == [tailspin]
    refused = sim.pc("GET", f"/v1/customers/{cid}/relationships", "indirect", app_user=False)
    assert refused.status_code == 403
    assert refused.json()["code"] == 2032
    accepted = sim.http.post(
        f"/_sim/customers/{cid}/accept-relationship",
        params={"partner": "indirect", "reseller": wingtip},
    )
    assert accepted.status_code == 200, accepted.text
    assert sorted(_resellers(sim, cid)) == sorted([tailspin, wingtip])
    stranger = sim.http.post(
        f"/_sim/customers/{cid}/accept-relationship",
        params={"partner": "indirect", "reseller": "00000000-0000-0000-0000-000000000000"},
    )
    assert stranger.status_code == 400


def test_a_customer_without_a_relationship_has_no_resellers(sim: Sim) -> None:
    northwind = sim.customer_id("northwind.onmicrosoft.com")
    assert _resellers(sim, northwind) == []
    # A direct partner's view of a customer holds no indirect resellers.
    direct = sim.pc("GET", f"/v1/customers/{sim.customer_id(CONTOSO)}/relationships")
    assert direct.status_code == 200
    assert direct.json()["items"] == []
