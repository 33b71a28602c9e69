"""Form descriptions: labels in the seed's words, links, and fields that match the step data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from nceflow.checkout.api.forms import form_for, form_of
from nceflow.checkout.domain.draft import (
    CustomerRecord,
    Draft,
    McaAcceptance,
    ResellerTerms,
    SignedInUser,
    TenantLookup,
    TenantMatch,
    TenantOwnership,
)
from nceflow.checkout.domain.errors import DraftClosed, StepOutOfOrder
from nceflow.checkout.domain.pricing import PlanQuote
from nceflow.checkout.domain.steps import (
    STEP_INPUTS,
    AccountInput,
    AccountKind,
    CartItemInput,
    CompanyProfileInput,
    McaInput,
    PartnerOfRecordInput,
    PartnerRelationshipInput,
    QualificationInput,
    StepId,
    TenantDomainInput,
)
from nceflow.schemas.values import Qualification, SalesModel

RELATIONSHIP = "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"


@pytest.fixture
def draft() -> Draft:
    reseller = ResellerTerms(
        reseller_id="tailspin-indirect",
        name="Tailspin IT Services",
        sales_model=SalesModel.INDIRECT,
        partner_id="71cc128f-b45b-4900-9ede-424776790f49",
        mpn_id="6203118",
        indirect_provider_partner_id="a3d1165a-531a-4dec-81f0-3b05c05c6f96",
        relationship_link=RELATIONSHIP,
        mca_link="https://aka.ms/customeragreement",
        terms_link="https://marketplace.example/terms",
    )
    now = datetime(2026, 11, 25, tzinfo=UTC)
    return Draft.start(
        draft_id="d1",
        account_id="acme",
        correlation_id="c1",
        reseller=reseller,
        now=now,
        idle_timeout=timedelta(days=7),
    )


@pytest.mark.parametrize("step", [s for s in StepId if s is not StepId.TENANT_SIGN_IN])
def test_form_fields_are_exactly_the_step_input_fields(draft: Draft, step: StepId) -> None:
    form = form_for(draft, step)
    assert {field.name for field in form.fields} == set(STEP_INPUTS[step].model_fields)
    required = {name for name, info in STEP_INPUTS[step].model_fields.items() if info.is_required()}
    assert {field.name for field in form.fields if field.required} == required


def test_the_sign_in_form_sends_the_customer_to_microsoft_and_asks_nothing_typed(
    draft: Draft,
) -> None:
    # Its data (`code`, `state`) is what Microsoft sends back, never what a person types.
    form = form_for(draft, StepId.TENANT_SIGN_IN)
    assert form.fields == []
    assert form.title == "Sign in with Microsoft"
    assert form.submit.method == "POST"
    assert form.submit.href == "/v1/drafts/d1/microsoft-sign-in"
    assert [link.rel for link in form.links] == ["microsoft_sign_in"]


def test_an_account_with_its_own_tenant_is_offered_it_by_name(draft: Draft) -> None:
    bound = TenantMatch(
        primary_domain="contoso.onmicrosoft.com",
        customer_tenant_id="t1",
        verified=True,
        ownership=TenantOwnership.BOUND,
    )
    form = form_for(draft.model_copy(update={"bound_tenant": bound}), StepId.ACCOUNT)
    options = form.fields[0].options or []
    assert [o.label for o in options][1] == (
        "Use your Microsoft CSP account: contoso.onmicrosoft.com"
    )
    assert "Your Microsoft CSP account: contoso.onmicrosoft.com." in form.description


def test_review_shows_an_mca_on_record_that_was_not_asked_again(draft: Draft) -> None:
    bound = TenantMatch(
        primary_domain="contoso.onmicrosoft.com",
        customer_tenant_id="t1",
        verified=True,
        ownership=TenantOwnership.BOUND,
    )
    mca = McaAcceptance(accepted="yes", **CONTACT, date_agreed=NOW)
    record = CustomerRecord(relationship_on_record=True, customer_tenant_id="t1", mca=mca)
    walked = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=1)], QUOTES, NOW).draft
    walked = walked.with_account(
        AccountInput(kind=AccountKind.EXISTING), record, NOW, bound_tenant=bound
    ).draft
    walked = walked.with_partner_of_record(
        PartnerOfRecordInput(attestation_accepted=True), NOW
    ).draft
    walked = walked.with_qualification(
        QualificationInput(qualification=Qualification.NONE), NOW
    ).draft
    assert sections(walked)["mca"] == {
        "MCA Acceptance": "On record for your Microsoft CSP account",
        "Accepted by": "Ada Lovelace",
        "Date agreed": "2026-11-25",
    }
    assert list(sections(walked)) == ["account", "partner_of_record", "mca", "qualification"]


def test_account_form_offers_the_seed_choices(draft: Draft) -> None:
    (field,) = form_for(draft, StepId.ACCOUNT).fields
    assert [(o.value, o.label) for o in field.options or []] == [
        ("new", "Create a new Microsoft CSP account"),
        ("existing", "Use an existing Microsoft CSP account"),
    ]


def test_relationship_form_links_to_the_reseller_relationship_page(draft: Draft) -> None:
    form = form_for(draft, StepId.PARTNER_RELATIONSHIP)
    (field,) = form.fields
    assert field.label == "Confirm if the customer partner authorization is done"
    assert [o.value for o in field.options or []] == ["yes", "no"]
    assert field.links[0].href == RELATIONSHIP
    assert field.links[0].text == "here"


def test_seed_titles_and_labels(draft: Draft) -> None:
    assert form_for(draft, StepId.PARTNER_OF_RECORD).title == "Partner of Record Attestation"
    assert "6203118" in form_for(draft, StepId.PARTNER_OF_RECORD).description
    mca = form_for(draft, StepId.MCA)
    assert mca.fields[0].label == "MCA Acceptance"
    assert mca.links[0].href == "https://aka.ms/customeragreement"
    (qualification,) = form_for(draft, StepId.QUALIFICATION).fields
    assert [o.label for o in qualification.options or []] == ["State Owned Entity", "None"]
    review = form_for(draft, StepId.REVIEW)
    assert review.title == "Review Order"
    assert review.submit.label == "Buy"
    assert review.submit.href == "/v1/drafts/d1/confirm"


def test_a_done_step_shows_its_saved_values(draft: Draft) -> None:
    edited = draft.model_copy(update={"account": AccountInput(kind=AccountKind.EXISTING)})
    (field,) = form_for(edited, StepId.ACCOUNT).fields
    assert field.value == "existing"


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
QUOTES = {
    BASIC: PlanQuote(
        plan_id=BASIC,
        title="Microsoft 365 Business Basic",
        product_id="CFQ7TTC0LH18",
        sku_id="0001",
        availability_id="DZH318Z0WZ0B",
        catalog_item_id="CFQ7TTC0LH18:0001:DZH318Z0WZ0B",
        term="P1Y",
        billing_cycle="monthly",
        unit_price=Decimal("6.30"),
        currency="USD",
        min_quantity=1,
        max_quantity=300,
    )
}
CONTACT = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
}


def seed_example(draft: Draft) -> Draft:
    """Seed steps 4-11: existing account, no relationship on record, indirect reseller."""
    draft = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=5)], QUOTES, NOW).draft
    draft = draft.with_account(AccountInput(kind=AccountKind.EXISTING), CustomerRecord(), NOW).draft
    draft = draft.with_partner_relationship(
        PartnerRelationshipInput(authorization_done="yes"), NOW
    ).draft
    draft = draft.with_partner_of_record(PartnerOfRecordInput(attestation_accepted=True), NOW).draft
    draft = draft.with_tenant_domain(
        TenantDomainInput(primary_domain="contoso.onmicrosoft.com"),
        TenantLookup("t1"),
        require_match=True,
        now=NOW,
    ).draft
    user = SignedInUser(tenant_id="t1", username="ada@contoso.onmicrosoft.com")
    draft = draft.with_tenant_sign_in(user, NOW).draft
    draft = draft.with_mca(McaInput(accepted="yes", **CONTACT), NOW).draft
    return draft.with_qualification(QualificationInput(qualification=Qualification.NONE), NOW).draft


def sections(draft: Draft) -> dict[str, dict[str, str]]:
    summary = form_for(draft, StepId.REVIEW).summary
    assert summary is not None
    return {s.step.value: {e.label: e.value for e in s.entries} for s in summary}


def test_a_done_step_or_the_current_one_can_be_shown_again_with_its_values(draft: Draft) -> None:
    walked = seed_example(draft)
    form = form_of(walked, StepId.ACCOUNT)
    assert form is not None
    assert form.step is StepId.ACCOUNT
    assert form.fields[0].value == "existing"
    mca = form_of(walked, StepId.MCA)
    assert mca is not None
    assert {f.name: f.value for f in mca.fields}["email"] == "ada@acme.example"
    current = form_of(walked, StepId.REVIEW)
    assert current is not None
    assert current == form_of(walked)


@pytest.mark.parametrize(
    ("step", "current"),
    [
        (StepId.MCA, "account"),  # ahead
        (StepId.COMPANY_PROFILE, "account"),  # depends on the account choice not made yet
    ],
)
def test_a_step_ahead_cannot_be_shown_and_the_refusal_names_the_current_step(
    draft: Draft, step: StepId, current: str
) -> None:
    started = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=1)], QUOTES, NOW).draft
    with pytest.raises(StepOutOfOrder) as info:
        form_of(started, step)
    assert info.value.current_step == current


def test_a_skipped_step_cannot_be_shown(draft: Draft) -> None:
    with pytest.raises(StepOutOfOrder) as info:
        form_of(seed_example(draft), StepId.COMPANY_PROFILE)
    assert info.value.current_step == "review"


def test_a_closed_draft_shows_no_step(draft: Draft) -> None:
    cancelled = seed_example(draft).cancelled(NOW)
    assert cancelled is not None
    assert form_of(cancelled) is None
    with pytest.raises(DraftClosed):
        form_of(cancelled, StepId.ACCOUNT)


def test_review_summarises_every_answer_in_the_wizard_words(draft: Draft) -> None:
    assert sections(seed_example(draft)) == {
        "account": {"Microsoft CSP account": "Use an existing Microsoft CSP account"},
        "partner_relationship": {"Confirm if the customer partner authorization is done": "Yes"},
        "partner_of_record": {"Partner of Record Attestation": "Yes"},
        "tenant_domain": {"Primary domain name": "contoso.onmicrosoft.com"},
        "tenant_sign_in": {"Signed in as": "ada@contoso.onmicrosoft.com"},
        "mca": {
            "MCA Acceptance": "Yes",
            "First name": "Ada",
            "Last name": "Lovelace",
            "Email": "ada@acme.example",
            "Phone": "+1 425 555 0100",
            "Date agreed": "2026-11-25",
        },
        "qualification": {"Qualification": "None"},
    }
    summary = form_for(seed_example(draft), StepId.REVIEW).summary or []
    assert [s.title for s in summary][:2] == ["Microsoft CSP account", "Partner relationship"]


def test_review_of_a_new_tenant_shows_the_company_and_its_new_domain(draft: Draft) -> None:
    walked = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=1)], QUOTES, NOW).draft
    walked = walked.with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    profile = CompanyProfileInput(
        company_name="Acme Corp",
        address_line1="1 Main St",
        city="Redmond",
        postal_code="98052",
        country="US",
        domain_prefix="AcmeCorp",
        **CONTACT,
    )
    walked = walked.with_company_profile(profile, domain_available=True, now=NOW).draft
    attestation = PartnerOfRecordInput(attestation_accepted=True)
    walked = walked.with_partner_of_record(attestation, NOW).draft
    walked = walked.with_mca(McaInput(accepted="yes", **CONTACT), NOW).draft
    walked = walked.with_qualification(
        QualificationInput(qualification=Qualification.STATE_OWNED_ENTITY), NOW
    ).draft
    summary = sections(walked)
    assert list(summary) == [
        "account",
        "company_profile",
        "partner_of_record",
        "mca",
        "qualification",
    ]
    company = summary["company_profile"]
    assert company["Company name"] == "Acme Corp"
    assert company["Domain"] == "acmecorp.onmicrosoft.com"
    assert "Address line 2" not in company  # left empty: nothing to review
    assert summary["qualification"] == {"Qualification": "State Owned Entity"}
    # Only the review carries a summary.
    assert form_for(walked, StepId.QUALIFICATION).summary is None
