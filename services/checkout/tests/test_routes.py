"""The wizard over HTTP against real Redis, Kafka, catalog and Partner Center simulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.domain.draft import TenantProof
from nceflow.checkout.resellers import load_directory
from nceflow.checkout.settings import Settings, TenantDomainCheck

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


async def test_seed_walk_existing_account_without_relationship_indirect(
    customer: Any, checkout_events: Any
) -> None:
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
    assert draft["current_step"] == "tenant_sign_in"
    draft = await buyer.name_tenant(draft_id, "contoso.onmicrosoft.com")
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

    await checkout_events.wait_for(lambda r: r.of_type("OrderConfirmed", draft_id))
    types = [e.type.split(".")[-2] for e in checkout_events.received if e.subject == draft_id]
    assert types == ["OrderDrafted"] + ["StepCompleted"] * 8 + ["OrderConfirmed"]
    confirmed = checkout_events.of_type("OrderConfirmed", draft_id)[0].data
    assert confirmed.reseller.sales_model == "indirect"
    assert confirmed.reseller.mpn_id == "6203118"
    assert confirmed.partner_of_record is not None
    assert confirmed.tenant.account == "existing"
    assert confirmed.tenant.relationship.status == "confirmed_by_customer"
    assert confirmed.items[0].quantity == 5
    assert confirmed.idempotency_key == "buy-1"


async def walk_new(buyer: Any, *, qualification: str = "none") -> str:
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 3}])
    draft_id: str = draft["id"]
    await buyer.save(draft_id, "account", {"kind": "new"})
    draft = await buyer.save(draft_id, "company_profile", PROFILE)
    if draft["current_step"] == "partner_of_record":
        draft = await buyer.save(draft_id, "partner_of_record", {"attestation_accepted": True})
    assert draft["current_step"] == "mca"
    await buyer.save(draft_id, "mca", MCA)
    draft = await buyer.save(draft_id, "qualification", {"qualification": qualification})
    assert draft["current_step"] == "review"
    return draft_id


@pytest.mark.parametrize(
    ("reseller", "qualification"),
    [("adatum-direct", "none"), ("tailspin-indirect", "state_owned_entity")],
)
async def test_new_tenant_paths_confirm_with_the_company_profile(
    customer: Any, checkout_events: Any, reseller: str, qualification: str
) -> None:
    buyer = customer("globex", reseller)
    draft_id = await walk_new(buyer, qualification=qualification)
    draft = (await buyer.get(draft_id)).json()
    expected_skipped = {"partner_relationship", "tenant_domain", "tenant_sign_in"}
    if reseller == "adatum-direct":
        expected_skipped.add("partner_of_record")
    assert {k for k, v in statuses(draft).items() if v == "skipped"} == expected_skipped
    assert (await buyer.buy(draft_id, "k")).status_code == 202
    await checkout_events.wait_for(lambda r: r.of_type("OrderConfirmed", draft_id))
    event = checkout_events.of_type("OrderConfirmed", draft_id)[0].data
    assert event.tenant.account == "new"
    assert event.tenant.company.domain == "acmecorp.onmicrosoft.com"
    assert event.qualification == qualification
    assert (event.partner_of_record is not None) == (reseller == "tailspin-indirect")


async def test_a_taken_domain_prefix_is_refused(customer: Any) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    await buyer.save(draft["id"], "account", {"kind": "new"})
    response = await buyer.put(
        draft["id"], "company_profile", {**PROFILE, "domain_prefix": "taken"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "domain_prefix"


async def test_a_new_tenant_in_brazil_is_asked_for_its_registration_number(customer: Any) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    asked = await buyer.save(draft["id"], "account", {"kind": "new"})
    form = {f["name"]: f for f in asked["form"]["fields"]}
    registration = form["organization_registration_number"]
    assert registration["required"] is False
    assert "BR" in registration["help"]
    brazil = {**PROFILE, "country": "BR", "domain_prefix": "globexbr"}
    refused = await buyer.put(draft["id"], "company_profile", brazil)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "organization_registration_number"
    assert error["code"] == "required_for_country"
    saved = await buyer.put(
        draft["id"], "company_profile", {**brazil, "organization_registration_number": "123"}
    )
    assert saved.status_code == 200, saved.text


async def test_an_indirect_resellers_tenant_must_have_accepted_that_reseller(
    customer: Any, partner_center_sim: str, reset_sim: None
) -> None:
    """Contoso is a customer of the indirect provider through Tailspin, not Wingtip ("Get
    indirect resellers of a customer"): Wingtip cannot be its partner of record until Contoso
    accepts Wingtip's IndirectResellerRelationship link."""
    buyer = customer(reseller="wingtip-indirect")
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    await buyer.save(draft["id"], "account", {"kind": "existing"})
    await buyer.save(draft["id"], "partner_relationship", {"authorization_done": "yes"})
    await buyer.save(draft["id"], "partner_of_record", {"attestation_accepted": True})
    contoso = {"primary_domain": "contoso.onmicrosoft.com"}
    refused = await buyer.put(draft["id"], "tenant_domain", contoso)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert (error["field"], error["code"]) == ("primary_domain", "reseller_not_linked")
    assert "invType=IndirectResellerRelationship" in error["reason"]
    async with httpx.AsyncClient(base_url=partner_center_sim) as sim:
        tenants = (await sim.get("/_sim/customers")).json()["items"]
        tenant = next(t for t in tenants if t["domain"] == contoso["primary_domain"])
        wingtip = "704540b7-6a01-44ad-ba29-c5c1268ca41b"  # resellers.json, the seed
        accepted = await sim.post(
            f"/_sim/customers/{tenant['id']}/accept-relationship",
            params={"partner": "indirect", "reseller": wingtip},
        )
        accepted.raise_for_status()
    saved = await buyer.put(draft["id"], "tenant_domain", contoso)
    assert saved.status_code == 200, saved.text


async def test_unknown_tenant_domain_is_refused_with_the_relationship_link(customer: Any) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    await buyer.save(draft["id"], "account", {"kind": "existing"})
    await buyer.save(draft["id"], "partner_relationship", {"authorization_done": "yes"})
    response = await buyer.put(
        draft["id"], "tenant_domain", {"primary_domain": "northwind.onmicrosoft.com"}
    )
    assert response.status_code == 422
    assert "ResellerRelationship" in response.json()["errors"][0]["reason"]


async def test_an_mca_email_whose_domain_is_no_domain_is_refused(customer: Any) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    await buyer.save(draft["id"], "account", {"kind": "existing"})
    await buyer.save(draft["id"], "partner_relationship", {"authorization_done": "yes"})
    await buyer.name_tenant(draft["id"], "contoso.onmicrosoft.com")
    for typo in ["ada@..com", "ada@contoso", "ada@-contoso.com", "ada@contoso.c0m", "ada@@x.com"]:
        response = await buyer.put(draft["id"], "mca", {**MCA, "email": typo})
        assert response.status_code == 422, typo
        assert [e["field"] for e in response.json()["errors"]] == ["email"], typo
    accepted = await buyer.put(draft["id"], "mca", {**MCA, "email": "ada.l+nce@mail.contoso.com"})
    assert accepted.status_code == 200, accepted.text


async def test_cart_problems_name_the_item(customer: Any) -> None:
    buyer = customer()
    draft = await buyer.start()
    assert draft["current_step"] == "cart"
    response = await buyer.put(
        draft["id"],
        "cart",
        {
            "items": [
                {"plan_id": "no-such-plan", "quantity": 1},
                {"plan_id": BASIC, "quantity": 301},
            ]
        },
    )
    assert response.status_code == 422
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == ["items[0].plan_id", "items[1].quantity"]


async def test_a_step_out_of_order_is_409_naming_the_current_step(customer: Any) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    response = await buyer.put(draft["id"], "mca", MCA)
    assert response.status_code == 409
    assert response.json()["current_step"] == "account"
    early = await buyer.buy(draft["id"], "k")
    assert early.status_code == 409
    assert early.json()["current_step"] == "account"


async def test_editing_backwards_from_existing_to_new_drops_what_no_longer_applies(
    customer: Any,
) -> None:
    buyer = customer("initech", "tailspin-indirect")
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 2}])
    draft_id = draft["id"]
    await buyer.save(draft_id, "account", {"kind": "existing"})
    await buyer.save(draft_id, "partner_relationship", {"authorization_done": "yes"})
    await buyer.save(draft_id, "partner_of_record", {"attestation_accepted": True})
    await buyer.name_tenant(draft_id, "contoso.onmicrosoft.com")
    await buyer.save(draft_id, "mca", MCA)
    draft = await buyer.save(draft_id, "account", {"kind": "new"})
    assert draft["current_step"] == "company_profile"
    assert set(draft["data"]) == {"cart", "account", "partner_of_record", "mca"}
    states = statuses(draft)
    assert states["tenant_domain"] == states["partner_relationship"] == "skipped"
    assert states["tenant_sign_in"] == "skipped"
    assert states["mca"] == "done"
    # Back again: the cart can be edited at any time and is re-priced.
    draft = await buyer.save(draft_id, "cart", {"items": [{"plan_id": STANDARD, "quantity": 4}]})
    assert draft["cart"]["lines"][0]["plan_id"] == STANDARD
    assert draft["current_step"] == "company_profile"


async def test_stale_if_match_is_412_and_a_current_one_passes(customer: Any) -> None:
    buyer = customer()
    created = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    read = await buyer.get(created["id"])
    etag = read.headers["ETag"]
    assert (
        await buyer.put(created["id"], "account", {"kind": "new"}, if_match=etag)
    ).status_code == 200
    stale = await buyer.put(created["id"], "account", {"kind": "existing"}, if_match=etag)
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["ETag"] != etag
    current = (await buyer.get(created["id"])).headers["ETag"]
    unchanged = await buyer.client.get(
        f"/v1/drafts/{created['id']}", headers={**buyer.headers, "If-None-Match": current}
    )
    assert unchanged.status_code == 304


async def test_buy_twice_same_key_same_answer_one_event_other_key_409(
    customer: Any, checkout_events: Any, outbox_drained: Any
) -> None:
    buyer = customer()
    draft_id = await walk_new(buyer)
    first = await buyer.buy(draft_id, "key-1")
    again = await buyer.buy(draft_id, "key-1")
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await buyer.buy(draft_id, "key-2")
    assert other.status_code == 409
    assert other.json()["order_id"] == draft_id
    changed = await buyer.put(draft_id, "qualification", {"qualification": "none"})
    assert changed.status_code == 409
    await checkout_events.wait_for(lambda r: r.of_type("OrderConfirmed", draft_id))
    # Nothing left to publish: a duplicate, had one been written, would be on the topic by now.
    await outbox_drained()
    await checkout_events.wait_for(lambda r: r.of_type("OrderConfirmed", draft_id))
    assert len(checkout_events.of_type("OrderConfirmed", draft_id)) == 1


async def test_concurrent_buys_with_one_key_confirm_once(
    customer: Any, checkout_events: Any, outbox_drained: Any
) -> None:
    buyer = customer()
    draft_id = await walk_new(buyer)
    answers = await asyncio.gather(*(buyer.buy(draft_id, "same") for _ in range(8)))
    assert {a.status_code for a in answers} == {202}
    await checkout_events.wait_for(lambda r: r.of_type("OrderConfirmed", draft_id))
    await outbox_drained()
    assert len(checkout_events.of_type("OrderConfirmed", draft_id)) == 1


async def test_another_account_gets_404_for_drafts_and_orders(customer: Any) -> None:
    owner, other = customer("acme"), customer("evil")
    draft_id = await walk_new(owner)
    assert (await other.get(draft_id)).status_code == 404
    assert (
        await other.put(draft_id, "qualification", {"qualification": "none"})
    ).status_code == 404
    assert (await other.buy(draft_id, "k")).status_code == 404
    deleted = await other.client.delete(f"/v1/drafts/{draft_id}", headers=other.headers)
    assert deleted.status_code == 404
    assert (await owner.buy(draft_id, "k")).status_code == 202
    stolen = await other.client.get(f"/v1/orders/{draft_id}", headers=other.headers)
    assert stolen.status_code == 404
    listed = await other.client.get("/v1/orders", headers=other.headers)
    assert listed.json()["items"] == []
    mine = await owner.client.get("/v1/orders", headers=owner.headers)
    assert [o["order_id"] for o in mine.json()["items"]] == [draft_id]


async def test_a_draft_is_worked_on_only_through_the_reseller_it_was_started_with(
    customer: Any,
) -> None:
    """The same account, with a token naming another reseller, must not work on the draft
    under that reseller's terms and Partner Center credentials."""
    owner, elsewhere = customer("acme", "adatum-direct"), customer("acme", "contoso-direct")
    draft_id = await walk_new(owner)
    assert (await elsewhere.get(draft_id)).status_code == 404
    assert (
        await elsewhere.put(draft_id, "qualification", {"qualification": "none"})
    ).status_code == 404
    assert (await elsewhere.buy(draft_id, "k")).status_code == 404
    deleted = await elsewhere.client.delete(f"/v1/drafts/{draft_id}", headers=elsewhere.headers)
    assert deleted.status_code == 404
    assert (await owner.get(draft_id)).json()["status"] == "open"
    assert (await owner.buy(draft_id, "k")).status_code == 202


async def test_cancel_emits_one_abandoned_event_and_closes_the_draft(
    customer: Any, checkout_events: Any, outbox_drained: Any
) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    url = f"/v1/drafts/{draft['id']}"
    assert (await buyer.client.delete(url, headers=buyer.headers)).status_code == 204
    assert (await buyer.client.delete(url, headers=buyer.headers)).status_code == 204
    assert (await buyer.get(draft["id"])).json()["status"] == "cancelled"
    closed = await buyer.put(draft["id"], "account", {"kind": "new"})
    assert closed.status_code == 409
    await checkout_events.wait_for(lambda r: r.of_type("OrderAbandoned", draft["id"]))
    await outbox_drained()
    abandoned = checkout_events.of_type("OrderAbandoned", draft["id"])
    assert len(abandoned) == 1
    assert abandoned[0].data.reason == "cancelled"
    assert abandoned[0].data.last_step == "account"


async def test_idle_drafts_expire_with_order_abandoned(
    settings: Settings, reset_sim: None, checkout_events: Any, run_app: Any
) -> None:
    quick = settings.model_copy(update={"draft_idle_timeout": timedelta(milliseconds=300)})
    async with run_app(create_app(quick)) as client:
        headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', quick)}"}
        created = await client.post("/v1/drafts", headers=headers)
        draft_id = created.json()["id"]
        await checkout_events.wait_for(lambda r: r.of_type("OrderAbandoned", draft_id))
        event = checkout_events.of_type("OrderAbandoned", draft_id)[0]
        assert event.data.reason == "expired"
        read = await client.get(f"/v1/drafts/{draft_id}", headers=headers)
        assert read.json()["status"] == "expired"
        assert (
            await client.put(
                f"/v1/drafts/{draft_id}/steps/cart",
                json={"items": [{"plan_id": BASIC, "quantity": 1}]},
                headers=headers,
            )
        ).status_code == 409


async def test_the_tenant_check_can_be_left_to_fulfilment_with_a_warning(
    settings: Settings, reset_sim: None, run_app: Any
) -> None:
    lenient = settings.model_copy(update={"tenant_domain_check": TenantDomainCheck.WARN})
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', lenient)}"}
    # Only where the reseller takes the customer's word: a sign-in cannot prove a tenant that
    # Partner Center does not show.
    shipped = load_directory()
    declared = shipped.model_copy(
        update={
            "resellers": tuple(
                r.model_copy(update={"tenant_proof": TenantProof.DECLARED})
                for r in shipped.resellers
            )
        }
    )
    async with run_app(create_app(lenient, declared)) as client:
        draft = (
            await client.post(
                "/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 1}]}, headers=headers
            )
        ).json()
        steps = f"/v1/drafts/{draft['id']}/steps"
        await client.put(f"{steps}/account", json={"kind": "existing"}, headers=headers)
        await client.put(
            f"{steps}/partner_relationship", json={"authorization_done": "yes"}, headers=headers
        )
        saved = await client.put(
            f"{steps}/tenant_domain",
            json={"primary_domain": "northwind.onmicrosoft.com"},
            headers=headers,
        )
        assert saved.status_code == 200
        body = saved.json()
        assert body["current_step"] == "mca"
        assert body["warnings"][0]["field"] == "primary_domain"
        assert "ResellerRelationship" in body["warnings"][0]["reason"]


async def test_a_done_step_is_described_again_on_request_to_edit_it(customer: Any) -> None:
    buyer = customer("acme", "tailspin-indirect")
    draft_id = await walk_new(buyer)
    current = await buyer.get(draft_id)
    response = await buyer.client.get(
        f"/v1/drafts/{draft_id}", params={"step": "company_profile"}, headers=buyer.headers
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == current.headers["ETag"]
    body = response.json()
    assert body["current_step"] == "review"
    assert body["form"]["step"] == "company_profile"
    values = {field["name"]: field["value"] for field in body["form"]["fields"]}
    assert values["company_name"] == "Acme Corp"
    assert values["domain_prefix"] == "acmecorp"
    assert body["form"]["submit"]["href"] == f"/v1/drafts/{draft_id}/steps/company_profile"
    # The current step can be asked for by name too; "not modified" works as without `step`.
    review = await buyer.client.get(
        f"/v1/drafts/{draft_id}", params={"step": "review"}, headers=buyer.headers
    )
    assert review.json()["form"] == current.json()["form"]
    unchanged = await buyer.client.get(
        f"/v1/drafts/{draft_id}",
        params={"step": "account"},
        headers={**buyer.headers, "If-None-Match": current.headers["ETag"]},
    )
    assert unchanged.status_code == 304


async def test_a_skipped_or_ahead_step_is_409_and_an_unknown_one_422(customer: Any) -> None:
    buyer = customer("acme", "adatum-direct")
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    url = f"/v1/drafts/{draft['id']}"
    ahead = await buyer.client.get(url, params={"step": "mca"}, headers=buyer.headers)
    assert ahead.status_code == 409
    assert ahead.headers["content-type"] == "application/problem+json"
    assert ahead.json()["current_step"] == "account"
    await buyer.save(draft["id"], "account", {"kind": "new"})
    skipped = await buyer.client.get(url, params={"step": "tenant_domain"}, headers=buyer.headers)
    assert skipped.status_code == 409
    assert skipped.json()["current_step"] == "company_profile"
    unknown = await buyer.client.get(url, params={"step": "payment"}, headers=buyer.headers)
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    (error,) = unknown.json()["errors"]
    assert error["field"] == "query.step"
    assert "'company_profile'" in error["reason"]
    assert "'review'" in error["reason"]


async def test_review_order_lists_every_answer_with_checkout_labels(customer: Any) -> None:
    buyer = customer("acme", "tailspin-indirect")
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 2}])
    draft_id = draft["id"]
    await buyer.save(draft_id, "account", {"kind": "existing"})
    await buyer.save(draft_id, "partner_relationship", {"authorization_done": "yes"})
    await buyer.save(draft_id, "partner_of_record", {"attestation_accepted": True})
    await buyer.name_tenant(draft_id, "contoso.onmicrosoft.com")
    await buyer.save(draft_id, "mca", MCA)
    draft = await buyer.save(draft_id, "qualification", {"qualification": "state_owned_entity"})
    summary = {
        section["step"]: {entry["label"]: entry["value"] for entry in section["entries"]}
        for section in draft["form"]["summary"]
    }
    assert list(summary) == [
        "account",
        "partner_relationship",
        "partner_of_record",
        "tenant_domain",
        "tenant_sign_in",
        "mca",
        "qualification",
    ]
    assert summary["account"] == {"Microsoft CSP account": "Use an existing Microsoft CSP account"}
    assert summary["partner_relationship"] == {
        "Confirm if the customer partner authorization is done": "Yes"
    }
    assert summary["partner_of_record"] == {"Partner of Record Attestation": "Yes"}
    assert summary["tenant_domain"] == {"Primary domain name": "contoso.onmicrosoft.com"}
    assert summary["mca"]["MCA Acceptance"] == "Yes"
    assert summary["mca"]["Email"] == "ada@acme.example"
    assert summary["qualification"] == {"Qualification": "State Owned Entity"}
    # Other steps' forms carry no summary.
    account = await buyer.client.get(
        f"/v1/drafts/{draft_id}", params={"step": "account"}, headers=buyer.headers
    )
    assert account.json()["form"]["summary"] is None


async def test_an_account_has_a_bounded_number_of_open_drafts(
    settings: Settings, reset_sim: None, run_app: Any
) -> None:
    capped = settings.model_copy(update={"max_open_drafts_per_account": 2, "relay_enabled": False})
    async with run_app(create_app(capped)) as client:
        headers = {"Authorization": f"Bearer {mint_dev_token('hoarder', 'adatum-direct', capped)}"}
        # Concurrent starts cannot overshoot: the count and the insert are one transaction.
        started = await asyncio.gather(
            *(client.post("/v1/drafts", headers=headers) for _ in range(5))
        )
        assert sorted(r.status_code for r in started) == [201, 201, 422, 422, 422]
        refused = next(r for r in started if r.status_code == 422).json()
        assert refused["type"] == "urn:nceflow:problem:too-many-drafts"
        assert refused["limit"] == 2
        assert refused["errors"][0]["field"] == "drafts"
        assert refused["errors"][0]["code"] == "limit_reached"
        first = next(r for r in started if r.status_code == 201).json()["id"]
        assert (await client.delete(f"/v1/drafts/{first}", headers=headers)).status_code == 204
        assert (await client.post("/v1/drafts", headers=headers)).status_code == 201
        # Another account is not held back by this one.
        other = {"Authorization": f"Bearer {mint_dev_token('neighbour', 'adatum-direct', capped)}"}
        assert (await client.post("/v1/drafts", headers=other)).status_code == 201


async def test_domain_lookups_are_rate_limited_per_account_and_show_no_tenant_id(
    settings: Settings, reset_sim: None, run_app: Any
) -> None:
    """Domain after domain would list the reseller's customers (and spend the partner's
    Partner Center quota): an account gets a few lookups a minute, then 429 with Retry-After."""
    limited = settings.model_copy(update={"tenant_lookups_per_minute": 3, "relay_enabled": False})

    def auth(account: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_dev_token(account, 'adatum-direct', limited)}"}

    async with run_app(create_app(limited)) as client:

        async def step(who: str, draft_id: str, name: str, data: dict[str, Any]) -> Any:
            url = f"/v1/drafts/{draft_id}/steps/{name}"
            return await client.put(url, json=data, headers=auth(who))

        async def started(who: str) -> str:
            body = {"items": [{"plan_id": BASIC, "quantity": 1}]}
            response = await client.post("/v1/drafts", json=body, headers=auth(who))
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        draft_id = await started("prober")
        assert (await step("prober", draft_id, "account", {"kind": "existing"})).status_code == 200
        done = {"authorization_done": "yes"}
        assert (await step("prober", draft_id, "partner_relationship", done)).status_code == 200
        domain = {"primary_domain": "contoso.onmicrosoft.com"}
        found = await step("prober", draft_id, "tenant_domain", domain)
        assert found.status_code == 200, found.text
        assert "customer_tenant_id" not in found.json()["data"]["tenant_domain"]
        assert "0cab9e0c" not in found.text  # contoso's tenant id in the simulator's seed
        answers = [
            await step(
                "prober", draft_id, "tenant_domain", {"primary_domain": f"probe{n}.onmicrosoft.com"}
            )
            for n in range(3)
        ]
        assert [a.status_code for a in answers] == [422, 422, 429]
        refused = answers[-1]
        assert refused.json()["type"] == "urn:nceflow:problem:too-many-lookups"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another account has a budget of its own.
        theirs = await started("bystander")
        assert (await step("bystander", theirs, "account", {"kind": "new"})).status_code == 200
        assert (await step("bystander", theirs, "company_profile", PROFILE)).status_code == 200
