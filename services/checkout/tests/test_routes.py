"""The wizard over HTTP against real Redis, Kafka, catalog and Partner Center simulator."""

from __future__ import annotations

from typing import Any

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
STANDARD = "cfq7ttc0ldpb-0001-p1m-monthly-us"

PROFILE = {
    "company_name": "Acme Corp",
    "address_line1": "1 Main St",
    "city": "Redmond",
    "state": "WA",
    "postal_code": "98052",
    "country": "US",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
    "domain_prefix": "acmecorp",
}
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
}


def statuses(draft: dict[str, Any]) -> dict[str, str]:
    return {step["id"]: step["status"] for step in draft["steps"]}


async def test_seed_walk_existing_account_without_relationship_indirect(customer: Any) -> None:
    """Seed steps 4-12: existing account, no relationship on record, indirect sales model."""
    buyer = customer("acme", "tailspin-indirect")
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 5}])
    draft_id = draft["id"]
    assert draft["current_step"] == "account"
    assert draft["cart"]["lines"][0]["unit_price"] == "6.30"
    assert (
        draft["form"]["fields"][0]["options"][1]["label"] == "Use an existing Microsoft CSP account"
    )

    draft = await buyer.save(draft_id, "account", {"kind": "existing"})
    assert draft["current_step"] == "partner_relationship"
    field = draft["form"]["fields"][0]
    assert field["label"] == "Confirm if the customer partner authorization is done"
    assert "IndirectResellerRelationship" in field["links"][0]["href"]

    draft = await buyer.save(draft_id, "partner_relationship", {"authorization_done": "yes"})
    assert draft["current_step"] == "partner_of_record"
    assert draft["form"]["title"] == "Partner of Record Attestation"
    draft = await buyer.save(draft_id, "partner_of_record", {"attestation_accepted": True})
    assert draft["current_step"] == "tenant_domain"
    draft = await buyer.save(
        draft_id, "tenant_domain", {"primary_domain": "contoso.onmicrosoft.com"}
    )
    assert draft["current_step"] == "mca"
    assert draft["form"]["fields"][0]["label"] == "MCA Acceptance"
    draft = await buyer.save(draft_id, "mca", MCA)
    assert draft["current_step"] == "qualification"
    draft = await buyer.save(draft_id, "qualification", {"qualification": "none"})
    assert draft["current_step"] == "review"
    assert draft["form"]["title"] == "Review Order"
    assert draft["form"]["submit"]["label"] == "Buy"
    assert statuses(draft)["company_profile"] == "skipped"

    response = await buyer.buy(draft_id, "buy-1")
    assert response.status_code == 202, response.text
    assert response.json() == {"order_id": draft_id, "status": "confirmed"}
    order = await buyer.client.get(f"/v1/orders/{draft_id}", headers=buyer.headers)
    assert order.status_code == 200
    assert order.json()["status"] == "confirmed"
    assert order.json()["tenant_domain"] == "contoso.onmicrosoft.com"
