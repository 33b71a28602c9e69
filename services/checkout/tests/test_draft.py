"""The wizard's state machine: every path of the seed, editing backwards, buying, ending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from nceflow.checkout.domain.draft import (
    CustomerRecord,
    Draft,
    DraftStatus,
    McaAcceptance,
    ResellerTerms,
    SignedInUser,
    StepStatus,
    TenantLookup,
    TenantMatch,
    TenantOwnership,
)
from nceflow.checkout.domain.errors import (
    AlreadyConfirmed,
    DraftClosed,
    DraftIncomplete,
    InvalidStepData,
    StepOutOfOrder,
)
from nceflow.checkout.domain.pricing import PlanQuote
from nceflow.checkout.domain.steps import (
    AccountInput,
    AccountKind,
    CartItemInput,
    CompanyProfileInput,
    McaInput,
    PartnerOfRecordInput,
    PartnerRelationshipInput,
    QualificationInput,
    ReviewInput,
    StepId,
    TenantDomainInput,
)
from nceflow.schemas.values import Qualification, SalesModel

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
E3 = "cfq7ttc0lflx-0001-p1y-annual-us"


def quote(plan_id: str, price: str = "6.30", *, max_quantity: int = 300) -> PlanQuote:
    return PlanQuote(
        plan_id=plan_id,
        title=f"Plan {plan_id}",
        product_id="CFQ7TTC0LH18",
        sku_id="0001",
        availability_id="DZH318Z0WZ0B",
        catalog_item_id="CFQ7TTC0LH18:0001:DZH318Z0WZ0B",
        term="P1Y",
        billing_cycle="annual" if "annual" in plan_id else "monthly",
        unit_price=Decimal(price),
        currency="USD",
        min_quantity=1,
        max_quantity=max_quantity,
    )


QUOTES = {BASIC: quote(BASIC), E3: quote(E3, "432.00")}


def reseller(model: SalesModel) -> ResellerTerms:
    return ResellerTerms(
        reseller_id=f"r-{model.value}",
        name="Tailspin IT Services",
        sales_model=model,
        partner_id="71cc128f-b45b-4900-9ede-424776790f49",
        mpn_id="6203118" if model is SalesModel.INDIRECT else None,
        indirect_provider_partner_id="a3d1165a-531a-4dec-81f0-3b05c05c6f96"
        if model is SalesModel.INDIRECT
        else None,
        relationship_link="https://admin.microsoft.com/relationship",
        mca_link="https://aka.ms/customeragreement",
        terms_link="https://marketplace.example/terms",
    )


def new_draft(model: SalesModel = SalesModel.DIRECT) -> Draft:
    return Draft.start(
        draft_id="d1",
        account_id="acme",
        correlation_id="c1",
        reseller=reseller(model),
        now=NOW,
        idle_timeout=timedelta(days=7),
    )


PROFILE = CompanyProfileInput(
    company_name="Acme",
    address_line1="1 Main St",
    city="Redmond",
    state="WA",
    postal_code="98052",
    country="US",
    first_name="Ada",
    last_name="Lovelace",
    email="ada@acme.example",
    phone="+1 425 555 0100",
    domain_prefix="AcmeCorp",
)
MCA = McaInput(
    accepted="yes",
    first_name="Ada",
    last_name="Lovelace",
    email="ada@acme.example",
    phone="4255550100",
)


NORTHWIND_USER = SignedInUser(tenant_id="32f46174", username="ada@northwind.onmicrosoft.com")


def statuses(draft: Draft) -> dict[str, str]:
    return {state.step.value: state.status.value for state in draft.step_states()}


def with_cart(draft: Draft) -> Draft:
    return draft.with_cart([CartItemInput(plan_id=BASIC, quantity=5)], QUOTES, NOW).draft


def walk_new(model: SalesModel) -> Draft:
    draft = with_cart(new_draft(model))
    draft = draft.with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    draft = draft.with_company_profile(PROFILE, domain_available=True, now=NOW).draft
    if model is SalesModel.INDIRECT:
        draft = draft.with_partner_of_record(
            PartnerOfRecordInput(attestation_accepted=True), NOW
        ).draft
    draft = draft.with_mca(MCA, NOW).draft
    return draft.with_qualification(QualificationInput(qualification=Qualification.NONE), NOW).draft


def test_a_new_draft_starts_at_the_cart_and_does_not_yet_know_the_account_path() -> None:
    draft = new_draft()
    assert draft.current_step is StepId.CART
    assert statuses(draft) == {
        "cart": "current",
        "account": "ahead",
        "company_profile": "ahead",
        "partner_relationship": "ahead",
        "partner_of_record": "skipped",
        "tenant_domain": "ahead",
        "tenant_sign_in": "ahead",
        "mca": "ahead",
        "qualification": "ahead",
        "review": "ahead",
    }


def test_indirect_sales_show_the_partner_of_record_step_from_the_start() -> None:
    assert statuses(new_draft(SalesModel.INDIRECT))["partner_of_record"] == "ahead"


@pytest.mark.parametrize("model", list(SalesModel))
def test_new_account_path_skips_the_existing_tenant_steps(model: SalesModel) -> None:
    draft = walk_new(model)
    assert draft.current_step is StepId.REVIEW
    states = statuses(draft)
    assert states["partner_relationship"] == states["tenant_domain"] == "skipped"
    assert states["company_profile"] == "done"
    assert states["partner_of_record"] == ("done" if model is SalesModel.INDIRECT else "skipped")
    assert draft.company_profile is not None
    assert draft.company_profile.domain == "acmecorp.onmicrosoft.com"


@pytest.mark.parametrize("model", list(SalesModel))
@pytest.mark.parametrize("on_record", [False, True])
def test_existing_account_asks_for_the_relationship_only_when_none_is_on_record(
    model: SalesModel, on_record: bool
) -> None:
    draft = with_cart(new_draft(model))
    record = CustomerRecord(relationship_on_record=on_record)
    draft = draft.with_account(AccountInput(kind=AccountKind.EXISTING), record, NOW).draft
    expected = StepId.TENANT_DOMAIN if on_record and model is SalesModel.DIRECT else None
    if not on_record:
        assert draft.current_step is StepId.PARTNER_RELATIONSHIP
        draft = draft.with_partner_relationship(
            PartnerRelationshipInput(authorization_done="yes"), NOW
        ).draft
    if model is SalesModel.INDIRECT:
        assert draft.current_step is StepId.PARTNER_OF_RECORD
        draft = draft.with_partner_of_record(
            PartnerOfRecordInput(attestation_accepted=True), NOW
        ).draft
    if expected:
        assert draft.current_step is expected
    assert draft.current_step is StepId.TENANT_DOMAIN
    draft = draft.with_tenant_domain(
        TenantDomainInput(primary_domain="Northwind.onmicrosoft.com"),
        TenantLookup("32f46174"),
        require_match=True,
        now=NOW,
    ).draft
    assert draft.tenant_domain is not None
    assert draft.tenant_domain.primary_domain == "northwind.onmicrosoft.com"
    assert draft.tenant_domain.verified
    assert draft.current_step is StepId.TENANT_SIGN_IN
    draft = draft.with_tenant_sign_in(NORTHWIND_USER, NOW).draft
    draft = draft.with_mca(MCA, NOW).draft
    draft = draft.with_qualification(
        QualificationInput(qualification=Qualification.STATE_OWNED_ENTITY), NOW
    ).draft
    assert draft.current_step is StepId.REVIEW
    states = statuses(draft)
    assert states["company_profile"] == "skipped"
    assert states["partner_relationship"] == ("skipped" if on_record else "done")
    assert states["tenant_sign_in"] == "done"


def test_a_step_ahead_of_the_current_one_is_refused_naming_the_current_step() -> None:
    draft = new_draft()
    with pytest.raises(StepOutOfOrder) as info:
        draft.with_account(AccountInput(kind=AccountKind.NEW), None, NOW)
    assert info.value.current_step == "cart"


def test_a_step_off_the_path_is_refused() -> None:
    draft = with_cart(new_draft())
    draft = draft.with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    with pytest.raises(StepOutOfOrder) as info:
        draft.with_partner_of_record(PartnerOfRecordInput(attestation_accepted=True), NOW)
    assert info.value.current_step == "company_profile"


def test_switching_existing_to_new_drops_only_the_steps_that_no_longer_apply() -> None:
    draft = with_cart(new_draft(SalesModel.INDIRECT))
    draft = draft.with_account(AccountInput(kind=AccountKind.EXISTING), CustomerRecord(), NOW).draft
    draft = draft.with_partner_relationship(
        PartnerRelationshipInput(authorization_done="yes"), NOW
    ).draft
    draft = draft.with_partner_of_record(PartnerOfRecordInput(attestation_accepted=True), NOW).draft
    draft = draft.with_tenant_domain(
        TenantDomainInput(primary_domain="northwind.onmicrosoft.com"),
        TenantLookup("32f46174"),
        require_match=True,
        now=NOW,
    ).draft
    draft = draft.with_tenant_sign_in(NORTHWIND_USER, NOW).draft
    draft = draft.with_mca(MCA, NOW).draft
    change = draft.with_account(AccountInput(kind=AccountKind.NEW), None, NOW)
    assert change.changed
    assert set(change.dropped) == {
        StepId.PARTNER_RELATIONSHIP,
        StepId.TENANT_DOMAIN,
        StepId.TENANT_SIGN_IN,
    }
    edited = change.draft
    assert edited.partner_relationship is None
    assert edited.tenant_domain is None
    assert edited.tenant_sign_in is None
    assert edited.partner_of_record is not None
    assert edited.mca is not None
    assert edited.cart is not None
    assert edited.current_step is StepId.COMPANY_PROFILE
    assert statuses(edited)["mca"] == "done"


def test_editing_an_earlier_step_resets_the_review() -> None:
    draft = walk_new(SalesModel.DIRECT).with_review(ReviewInput(terms_accepted=True), NOW).draft
    assert draft.current_step is None
    edited = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=9)], QUOTES, NOW).draft
    assert edited.review is None
    assert StepId.REVIEW not in edited.completed_at
    assert edited.current_step is StepId.REVIEW


def test_saving_the_same_data_again_is_not_a_change() -> None:
    draft = with_cart(new_draft())
    change = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=5)], QUOTES, NOW)
    assert not change.changed
    assert change.draft.version == draft.version


def test_every_change_bumps_the_version_and_pushes_the_expiry() -> None:
    draft = new_draft()
    later = NOW + timedelta(days=3)
    changed = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=5)], QUOTES, later).draft
    assert changed.version == draft.version + 1
    assert changed.expires_at == later + timedelta(days=7)


def test_cart_prices_lines_and_totals_per_billing_cycle() -> None:
    draft = (
        new_draft()
        .with_cart(
            [CartItemInput(plan_id=BASIC, quantity=5), CartItemInput(plan_id=E3, quantity=2)],
            QUOTES,
            NOW,
        )
        .draft
    )
    assert draft.cart is not None
    totals = {(t.billing_cycle, t.currency): t.amount for t in draft.cart.totals}
    assert totals == {("monthly", "USD"): Decimal("31.50"), ("annual", "USD"): Decimal("864.00")}


def test_cart_names_each_unknown_plan_and_out_of_range_quantity() -> None:
    items = [
        CartItemInput(plan_id="no-such-plan", quantity=1),
        CartItemInput(plan_id=BASIC, quantity=301),
        CartItemInput(plan_id=E3, quantity=1),
    ]
    with pytest.raises(InvalidStepData) as info:
        new_draft().with_cart(items, QUOTES, NOW)
    fields = [problem.field for problem in info.value.errors]
    assert fields == ["items[0].plan_id", "items[1].quantity"]
    assert "1 to 300" in info.value.errors[1].reason


def test_cart_refuses_the_same_plan_twice() -> None:
    items = [CartItemInput(plan_id=BASIC, quantity=1), CartItemInput(plan_id=BASIC, quantity=2)]
    with pytest.raises(InvalidStepData) as info:
        new_draft().with_cart(items, QUOTES, NOW)
    assert info.value.errors[0].field == "items[1].plan_id"


def test_cart_input_bounds_quantities_and_lengths() -> None:
    with pytest.raises(ValidationError):
        CartItemInput(plan_id=BASIC, quantity=0)
    with pytest.raises(ValidationError):
        CartItemInput(plan_id="x" * 200, quantity=1)


def test_a_taken_domain_prefix_is_refused_on_that_field() -> None:
    draft = with_cart(new_draft()).with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    with pytest.raises(InvalidStepData) as info:
        draft.with_company_profile(PROFILE, domain_available=False, now=NOW)
    assert info.value.errors[0].field == "domain_prefix"


def test_domain_prefix_allows_letters_and_digits_only() -> None:
    with pytest.raises(ValidationError):
        CompanyProfileInput(**{**PROFILE.model_dump(), "domain_prefix": "acme-corp"})


@pytest.mark.parametrize("domain", ["contoso", "-bad.com", "a..b.com", "x" * 250 + ".com"])
def test_tenant_domain_must_look_like_a_domain(domain: str) -> None:
    with pytest.raises(ValidationError):
        TenantDomainInput(primary_domain=domain)


def _at_tenant_domain() -> Draft:
    draft = with_cart(new_draft())
    record = CustomerRecord(relationship_on_record=True)
    return draft.with_account(AccountInput(kind=AccountKind.EXISTING), record, NOW).draft


def test_an_unknown_tenant_is_refused_with_the_relationship_link() -> None:
    with pytest.raises(InvalidStepData) as info:
        _at_tenant_domain().with_tenant_domain(
            TenantDomainInput(primary_domain="nobody.onmicrosoft.com"),
            TenantLookup(None),
            require_match=True,
            now=NOW,
        )
    assert "https://admin.microsoft.com/relationship" in info.value.errors[0].reason


def test_an_unknown_tenant_can_be_left_to_fulfilment_with_a_warning() -> None:
    change = _at_tenant_domain().with_tenant_domain(
        TenantDomainInput(primary_domain="nobody.onmicrosoft.com"),
        TenantLookup(None),
        require_match=False,
        now=NOW,
        ownership=TenantOwnership.DECLARED,
    )
    assert change.warnings
    assert change.draft.tenant_domain is not None
    assert not change.draft.tenant_domain.verified
    assert change.draft.current_step is StepId.MCA


def test_an_unknown_tenant_cannot_wait_for_fulfilment_when_a_sign_in_must_prove_it() -> None:
    # Nothing can be proven about a tenant Partner Center does not show: refused in any mode.
    with pytest.raises(InvalidStepData):
        _at_tenant_domain().with_tenant_domain(
            TenantDomainInput(primary_domain="nobody.onmicrosoft.com"),
            TenantLookup(None),
            require_match=False,
            now=NOW,
        )


def _at_sign_in() -> Draft:
    return (
        _at_tenant_domain()
        .with_tenant_domain(
            TenantDomainInput(primary_domain="northwind.onmicrosoft.com"),
            TenantLookup("32f46174"),
            require_match=True,
            now=NOW,
        )
        .draft
    )


def test_a_sign_in_as_a_user_of_another_tenant_is_refused() -> None:
    draft = _at_sign_in()
    assert draft.current_step is StepId.TENANT_SIGN_IN
    stranger = SignedInUser(tenant_id="e0284275", username="grace@fabrikam.onmicrosoft.com")
    with pytest.raises(InvalidStepData) as info:
        draft.with_tenant_sign_in(stranger, NOW)
    assert info.value.errors[0].field == "code"
    assert "grace@fabrikam.onmicrosoft.com" in info.value.errors[0].reason


def test_naming_another_tenant_after_signing_in_asks_for_a_new_sign_in() -> None:
    draft = _at_sign_in().with_tenant_sign_in(NORTHWIND_USER, NOW).draft
    assert draft.current_step is StepId.MCA
    same = draft.with_tenant_domain(
        TenantDomainInput(primary_domain="northwind.onmicrosoft.com"),
        TenantLookup("32f46174"),
        require_match=True,
        now=NOW,
    )
    assert not same.changed
    other = draft.with_tenant_domain(
        TenantDomainInput(primary_domain="fabrikam.onmicrosoft.com"),
        TenantLookup("e0284275"),
        require_match=True,
        now=NOW,
    ).draft
    assert other.tenant_sign_in is None
    assert other.current_step is StepId.TENANT_SIGN_IN


@pytest.mark.parametrize(
    "ownership", [TenantOwnership.BOUND, TenantOwnership.CLAIMED, TenantOwnership.DECLARED]
)
def test_a_tenant_known_to_be_the_accounts_needs_no_sign_in(ownership: TenantOwnership) -> None:
    draft = _at_tenant_domain().with_tenant_domain(
        TenantDomainInput(primary_domain="northwind.onmicrosoft.com"),
        TenantLookup("32f46174"),
        require_match=True,
        now=NOW,
        ownership=ownership,
    )
    assert draft.draft.current_step is StepId.MCA
    assert statuses(draft.draft)["tenant_sign_in"] == "skipped"


def test_an_account_with_its_own_tenant_is_not_asked_for_the_domain_or_a_sign_in() -> None:
    bound = TenantMatch(
        primary_domain="northwind.onmicrosoft.com",
        customer_tenant_id="32f46174",
        verified=True,
        ownership=TenantOwnership.BOUND,
    )
    draft = with_cart(new_draft())
    record = CustomerRecord(relationship_on_record=True, customer_tenant_id="32f46174")
    draft = draft.with_account(
        AccountInput(kind=AccountKind.EXISTING), record, NOW, bound_tenant=bound
    ).draft
    assert draft.current_step is StepId.MCA
    states = statuses(draft)
    assert states["tenant_domain"] == states["tenant_sign_in"] == "skipped"
    assert states["partner_relationship"] == "skipped"
    assert draft.tenant == bound
    assert draft.mca_acceptance is None
    # With the MCA of its earlier order on record, that step is not asked either.
    on_record = record.model_copy(
        update={"mca": McaAcceptance(**MCA.model_dump(), date_agreed=NOW)}
    )
    known = with_cart(new_draft()).with_account(
        AccountInput(kind=AccountKind.EXISTING), on_record, NOW, bound_tenant=bound
    )
    assert known.draft.current_step is StepId.QUALIFICATION
    assert statuses(known.draft)["mca"] == "skipped"
    assert known.draft.mca_acceptance == on_record.mca
    # The same account choosing a new tenant leaves its own aside.
    new = draft.with_account(AccountInput(kind=AccountKind.NEW), None, NOW, bound_tenant=bound)
    assert new.draft.tenant is None
    assert new.draft.current_step is StepId.COMPANY_PROFILE


def test_relationship_no_mca_no_attestation_false_and_terms_false_are_refused() -> None:
    draft = with_cart(new_draft(SalesModel.INDIRECT))
    draft = draft.with_account(AccountInput(kind=AccountKind.EXISTING), None, NOW).draft
    with pytest.raises(InvalidStepData):
        draft.with_partner_relationship(PartnerRelationshipInput(authorization_done="no"), NOW)
    draft = draft.with_partner_relationship(
        PartnerRelationshipInput(authorization_done="yes"), NOW
    ).draft
    with pytest.raises(InvalidStepData):
        draft.with_partner_of_record(PartnerOfRecordInput(attestation_accepted=False), NOW)
    walked = walk_new(SalesModel.DIRECT)
    with pytest.raises(InvalidStepData):
        walked.with_review(ReviewInput(terms_accepted=False), NOW)
    fresh = with_cart(new_draft()).with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    fresh = fresh.with_company_profile(PROFILE, domain_available=True, now=NOW).draft
    with pytest.raises(InvalidStepData) as info:
        fresh.with_mca(MCA.model_copy(update={"accepted": "no"}), NOW)
    assert "https://aka.ms/customeragreement" in info.value.errors[0].reason


def test_mca_keeps_its_date_when_saved_again_unchanged() -> None:
    draft = walk_new(SalesModel.DIRECT)
    assert draft.mca is not None
    later = NOW + timedelta(hours=1)
    again = draft.with_mca(MCA, later)
    assert not again.changed
    edited = draft.with_mca(MCA.model_copy(update={"phone": "4255550199"}), later).draft
    assert edited.mca is not None
    assert edited.mca.date_agreed == later


def test_buy_on_the_review_screen_confirms_and_accepts_the_terms() -> None:
    draft = walk_new(SalesModel.DIRECT)
    confirmed = draft.confirmed(idempotency_key="k1", terms_accepted=True, now=NOW)
    assert confirmed.status is DraftStatus.CONFIRMED
    assert confirmed.review is not None
    assert confirmed.confirmation is not None
    assert confirmed.confirmation.idempotency_key == "k1"
    assert confirmed.current_step is None


def test_buy_before_the_last_step_names_the_current_step() -> None:
    draft = with_cart(new_draft())
    with pytest.raises(DraftIncomplete) as info:
        draft.confirmed(idempotency_key="k1", terms_accepted=True, now=NOW)
    assert info.value.current_step == "account"


def test_buy_without_accepting_the_terms_is_refused() -> None:
    with pytest.raises(InvalidStepData):
        walk_new(SalesModel.DIRECT).confirmed(idempotency_key="k", terms_accepted=False, now=NOW)


def test_buy_again_with_the_same_key_is_a_replay_and_with_another_key_a_conflict() -> None:
    confirmed = walk_new(SalesModel.DIRECT).confirmed(
        idempotency_key="k1", terms_accepted=True, now=NOW
    )
    assert confirmed.replays_confirmation("k1")
    with pytest.raises(AlreadyConfirmed):
        confirmed.replays_confirmation("k2")
    assert not walk_new(SalesModel.DIRECT).replays_confirmation("k1")


def test_a_confirmed_draft_no_longer_changes() -> None:
    confirmed = walk_new(SalesModel.DIRECT).confirmed(
        idempotency_key="k1", terms_accepted=True, now=NOW
    )
    with pytest.raises(DraftClosed):
        confirmed.with_qualification(QualificationInput(qualification=Qualification.NONE), NOW)
    with pytest.raises(DraftClosed):
        confirmed.cancelled(NOW)


def test_repricing_with_a_new_price_resets_the_review() -> None:
    draft = walk_new(SalesModel.DIRECT).with_review(ReviewInput(terms_accepted=True), NOW).draft
    same = draft.repriced(QUOTES, NOW)
    assert not same.changed
    dearer = draft.repriced({BASIC: quote(BASIC, "7.00")}, NOW)
    assert dearer.changed
    assert dearer.draft.review is None
    assert dearer.draft.cart is not None
    assert dearer.draft.cart.lines[0].unit_price == Decimal("7.00")


def test_repricing_when_a_plan_left_the_catalog_sends_the_customer_back_to_review() -> None:
    draft = walk_new(SalesModel.DIRECT).with_review(ReviewInput(terms_accepted=True), NOW).draft
    change = draft.repriced({}, NOW)
    assert change.warnings
    assert change.draft.review is None


def test_cancel_is_once_and_only_while_open() -> None:
    draft = with_cart(new_draft())
    cancelled = draft.cancelled(NOW)
    assert cancelled is not None
    assert cancelled.status is DraftStatus.CANCELLED
    assert cancelled.cancelled(NOW) is None
    with pytest.raises(DraftClosed):
        cancelled.with_cart([CartItemInput(plan_id=BASIC, quantity=1)], QUOTES, NOW)


def test_a_draft_expires_only_after_its_idle_time() -> None:
    draft = with_cart(new_draft())
    assert draft.expired(NOW + timedelta(days=6)) is None
    expired = draft.expired(NOW + timedelta(days=7, seconds=1))
    assert expired is not None
    assert expired.status is DraftStatus.EXPIRED
    assert expired.expired(NOW + timedelta(days=30)) is None


def test_step_states_report_done_and_current() -> None:
    draft = walk_new(SalesModel.INDIRECT)
    states = draft.step_states()
    assert [s.status for s in states if s.step is StepId.REVIEW] == [StepStatus.CURRENT]
    assert all(s.status in {StepStatus.DONE, StepStatus.SKIPPED} for s in states[:-1])


def test_draft_round_trips_through_json() -> None:
    draft = walk_new(SalesModel.INDIRECT)
    assert Draft.model_validate_json(draft.model_dump_json()) == draft


def test_a_company_in_a_listed_country_gives_its_registration_number() -> None:
    """ "Create a customer": Partner Center requires `organizationRegistrationNumber` for
    customers in some countries; the wizard asks for it there, before Microsoft refuses."""
    draft = with_cart(new_draft()).with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    brazil = CompanyProfileInput(**{**PROFILE.model_dump(), "country": "BR"})
    with pytest.raises(InvalidStepData) as info:
        draft.with_company_profile(brazil, domain_available=True, now=NOW)
    (problem,) = info.value.errors
    assert (problem.field, problem.code) == (
        "organization_registration_number",
        "required_for_country",
    )
    numbered = CompanyProfileInput(
        **{**brazil.model_dump(), "organization_registration_number": "12.345.678/0001-90"}
    )
    saved = draft.with_company_profile(numbered, domain_available=True, now=NOW).draft
    assert saved.company_profile is not None
    assert saved.company_profile.organization_registration_number == "12.345.678/0001-90"
    # Elsewhere it may stay empty; a number that is no number is refused by the input itself.
    draft.with_company_profile(PROFILE, domain_available=True, now=NOW)
    with pytest.raises(ValidationError):
        CompanyProfileInput(**{**PROFILE.model_dump(), "organization_registration_number": "<x>"})


def test_both_problems_of_a_profile_are_named_at_once() -> None:
    draft = with_cart(new_draft()).with_account(AccountInput(kind=AccountKind.NEW), None, NOW).draft
    brazil = CompanyProfileInput(**{**PROFILE.model_dump(), "country": "BR"})
    with pytest.raises(InvalidStepData) as info:
        draft.with_company_profile(brazil, domain_available=False, now=NOW)
    assert [e.field for e in info.value.errors] == [
        "organization_registration_number",
        "domain_prefix",
    ]
