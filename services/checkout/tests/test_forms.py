"""Form descriptions: labels in the seed's words, links, and fields that match the step data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nceflow.checkout.domain.draft import Draft, ResellerTerms, SalesModel
from nceflow.checkout.domain.forms import form_for
from nceflow.checkout.domain.steps import STEP_INPUTS, AccountInput, AccountKind, StepId

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


@pytest.mark.parametrize("step", list(StepId))
def test_form_fields_are_exactly_the_step_input_fields(draft: Draft, step: StepId) -> None:
    form = form_for(draft, step)
    assert {field.name for field in form.fields} == set(STEP_INPUTS[step].model_fields)
    required = {name for name, info in STEP_INPUTS[step].model_fields.items() if info.is_required()}
    assert {field.name for field in form.fields if field.required} == required


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
