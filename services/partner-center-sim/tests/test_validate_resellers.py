""" "Validate reseller partner of record (POR)": `POST /v1/partners/validateresellers` answers,
per partner (PLA) id, whether it is an authorized indirect reseller of the caller."""

from __future__ import annotations

from nceflow.testing.simulator import Sim


def test_the_providers_own_reseller_is_valid_and_a_stranger_is_not(sim: Sim) -> None:
    reseller = sim.partner("indirect").resellers[0].mpn_id
    body = {"partnerIds": [reseller, "9999999"]}
    # App-only credentials are enough, as the page says.
    response = sim.pc(
        "POST", "/v1/partners/validateresellers", "indirect", app_user=False, json=body
    )
    assert response.status_code == 200, response.text
    valid, invalid = response.json()["validationResults"]
    assert valid == {"partnerId": reseller, "isValidPartnerIdOnRecord": True}
    assert invalid["partnerId"] == "9999999"
    assert invalid["isValidPartnerIdOnRecord"] is False
    assert invalid["errorCode"] == 900400
    assert "9999999" in invalid["errorDescription"]


def test_a_direct_partner_has_no_resellers_and_an_empty_list_is_refused(sim: Sim) -> None:
    reseller = sim.partner("indirect").resellers[0].mpn_id
    direct = sim.pc("POST", "/v1/partners/validateresellers", json={"partnerIds": [reseller]})
    assert direct.json()["validationResults"][0]["isValidPartnerIdOnRecord"] is False
    empty = sim.pc("POST", "/v1/partners/validateresellers", json={"partnerIds": []})
    assert empty.status_code == 400
    assert empty.json()["code"] == 600008
