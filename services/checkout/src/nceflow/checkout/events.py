"""The events a draft's changes publish, in the contract's shape (`nceflow.schemas`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from nceflow.checkout.domain.draft import Draft, DraftStatus
from nceflow.checkout.domain.pricing import CartLine, PricedCart
from nceflow.checkout.domain.steps import AccountKind, StepId
from nceflow.checkout.repository import OutboxEntry
from nceflow.schemas import (
    AbandonReason,
    AccountChoice,
    AccountStep,
    Address,
    BillingCycle,
    CartStep,
    CompanyProfile,
    CompanyProfileStep,
    Contact,
    ExistingTenant,
    McaAcceptance,
    McaStep,
    NewTenant,
    OrderAbandoned,
    OrderConfirmed,
    OrderDrafted,
    OrderEvent,
    OrderItem,
    PartnerOfRecordAttestation,
    PartnerOfRecordStep,
    PartnerRelationshipStep,
    QualificationStep,
    RelationshipConfirmedByCustomer,
    RelationshipOnRecord,
    Reseller,
    ReviewStep,
    SalesModel,
    StepCompleted,
    TenantDomainStep,
    TenantSignInStep,
    Term,
    WizardStep,
    topics,
)
from nceflow.schemas.envelope import CHECKOUT_SOURCE, to_kafka


def outbox_entry(event: OrderEvent, at: datetime) -> OutboxEntry:
    """Encode `event` as the Kafka record the relay will publish (its id fixed now, for dedupe)."""
    event_id = str(uuid.uuid4())
    record = to_kafka(event, source=CHECKOUT_SOURCE, event_id=event_id, time=at)
    return OutboxEntry(
        topic=topics.CHECKOUT_ORDER_EVENTS,
        key=record.key,
        value=record.value,
        headers=record.headers,
        event_id=event_id,
        event_type=event.event_type(),
    )


def order_drafted(draft: Draft) -> OrderDrafted:
    """A draft started."""
    return OrderDrafted(
        order_id=draft.id,
        correlation_id=draft.correlation_id,
        marketplace_account_id=draft.account_id,
        reseller_id=draft.reseller.reseller_id,
        expires_at=draft.expires_at,
    )


def step_completed(draft: Draft, step: StepId) -> StepCompleted:
    """A step was saved (for the first time or edited)."""
    return StepCompleted(
        order_id=draft.id, correlation_id=draft.correlation_id, step=_step_data(draft, step)
    )


def order_abandoned(draft: Draft, last_step: StepId | None) -> OrderAbandoned:
    """A draft was cancelled or expired."""
    reason = (
        AbandonReason.CANCELLED if draft.status is DraftStatus.CANCELLED else AbandonReason.EXPIRED
    )
    return OrderAbandoned(
        order_id=draft.id,
        correlation_id=draft.correlation_id,
        reason=reason,
        last_step=last_step,
    )


def order_confirmed(draft: Draft, confirmed_by: str) -> OrderConfirmed:
    """Buy: everything fulfilment needs, from the confirmed draft."""
    assert draft.cart is not None
    assert draft.mca_acceptance is not None
    assert draft.qualification is not None
    assert draft.confirmation is not None
    reseller = draft.reseller
    indirect = reseller.sales_model is SalesModel.INDIRECT
    items = _items(draft.cart)
    return OrderConfirmed(
        order_id=draft.id,
        correlation_id=draft.correlation_id,
        marketplace_account_id=draft.account_id,
        reseller=Reseller(
            reseller_id=reseller.reseller_id,
            name=reseller.name,
            sales_model=reseller.sales_model,
            partner_id=reseller.partner_id,
            mpn_id=reseller.mpn_id,
            indirect_provider_partner_id=reseller.indirect_provider_partner_id,
        ),
        tenant=_tenant(draft, confirmed_by),
        partner_of_record=_attestation(draft) if indirect else None,
        mca=_mca(draft),
        qualification=draft.qualification.qualification,
        terms_of_service_accepted_at=draft.completed_at[StepId.REVIEW],
        items=items,
        totals=_totals(items),
        idempotency_key=draft.confirmation.idempotency_key,
    )


def _items(cart: PricedCart) -> list[OrderItem]:
    return [_item(line) for line in cart.lines]


def _item(line: CartLine) -> OrderItem:
    return OrderItem(
        plan_id=line.plan_id,
        catalog_item_id=line.catalog_item_id,
        product_id=line.product_id,
        sku_id=line.sku_id,
        availability_id=line.availability_id,
        title=line.title,
        term=Term(line.term),
        billing_cycle=BillingCycle(line.billing_cycle),
        quantity=line.quantity,
        unit_price=line.unit_price,
        currency=line.currency,
    )


def _totals(items: list[OrderItem]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for item in items:
        sums[item.currency] = sums.get(item.currency, Decimal(0)) + item.amount
    return sums


def _company(draft: Draft) -> CompanyProfile:
    profile = draft.company_profile
    assert profile is not None
    return CompanyProfile(
        company_name=profile.company_name,
        address=Address(
            address_line1=profile.address_line1,
            address_line2=profile.address_line2 or None,
            city=profile.city,
            state=profile.state or None,
            postal_code=profile.postal_code,
            country=profile.country,
        ),
        primary_contact=Contact(
            first_name=profile.first_name,
            last_name=profile.last_name,
            email=profile.email,
            phone=profile.phone,
        ),
        domain=profile.domain,
        organization_registration_number=profile.organization_registration_number or None,
    )


def _tenant(draft: Draft, confirmed_by: str) -> NewTenant | ExistingTenant:
    if draft.account is not None and draft.account.kind is AccountKind.NEW:
        return NewTenant(account=AccountChoice.NEW, company=_company(draft))
    tenant = draft.tenant
    assert tenant is not None
    relationship: RelationshipConfirmedByCustomer | RelationshipOnRecord
    if draft.partner_relationship is not None:
        relationship = RelationshipConfirmedByCustomer(
            status="confirmed_by_customer",
            confirmed_at=draft.completed_at[StepId.PARTNER_RELATIONSHIP],
            confirmed_by=confirmed_by,
        )
    else:
        relationship = RelationshipOnRecord(
            status="on_record", checked_at=draft.completed_at[StepId.ACCOUNT]
        )
    return ExistingTenant(
        account=AccountChoice.EXISTING,
        primary_domain=tenant.primary_domain,
        relationship=relationship,
    )


def _attestation(draft: Draft) -> PartnerOfRecordAttestation:
    return PartnerOfRecordAttestation(
        accepted_at=draft.completed_at[StepId.PARTNER_OF_RECORD],
        partner_id=draft.reseller.partner_id,
    )


def _mca(draft: Draft) -> McaAcceptance:
    mca = draft.mca_acceptance
    assert mca is not None
    return McaAcceptance(
        accepted_by=Contact(
            first_name=mca.first_name, last_name=mca.last_name, email=mca.email, phone=mca.phone
        ),
        date_agreed=mca.date_agreed.date(),
        agreement_link=draft.reseller.mca_link,
    )


def _step_data(
    draft: Draft, step: StepId
) -> (
    CartStep
    | AccountStep
    | CompanyProfileStep
    | PartnerRelationshipStep
    | PartnerOfRecordStep
    | TenantDomainStep
    | TenantSignInStep
    | McaStep
    | QualificationStep
    | ReviewStep
):
    match step:
        case StepId.CART:
            assert draft.cart is not None
            items = _items(draft.cart)
            return CartStep(id=WizardStep.CART, items=items, totals=_totals(items))
        case StepId.ACCOUNT:
            assert draft.account is not None
            return AccountStep(id=WizardStep.ACCOUNT, account=draft.account.kind)
        case StepId.COMPANY_PROFILE:
            return CompanyProfileStep(id=WizardStep.COMPANY_PROFILE, company=_company(draft))
        case StepId.PARTNER_RELATIONSHIP:
            return PartnerRelationshipStep(
                id=WizardStep.PARTNER_RELATIONSHIP, authorization_done=True
            )
        case StepId.PARTNER_OF_RECORD:
            return PartnerOfRecordStep(
                id=WizardStep.PARTNER_OF_RECORD, attestation=_attestation(draft)
            )
        case StepId.TENANT_DOMAIN:
            assert draft.tenant_domain is not None
            return TenantDomainStep(
                id=WizardStep.TENANT_DOMAIN,
                primary_domain=draft.tenant_domain.primary_domain,
                customer_found=draft.tenant_domain.verified,
            )
        case StepId.TENANT_SIGN_IN:
            assert draft.tenant_sign_in is not None
            return TenantSignInStep(
                id=WizardStep.TENANT_SIGN_IN, customer_tenant_id=draft.tenant_sign_in.tenant_id
            )
        case StepId.MCA:
            return McaStep(id=WizardStep.MCA, mca=_mca(draft))
        case StepId.QUALIFICATION:
            assert draft.qualification is not None
            return QualificationStep(
                id=WizardStep.QUALIFICATION,
                qualification=draft.qualification.qualification,
            )
        case StepId.REVIEW:
            return ReviewStep(
                id=WizardStep.REVIEW,
                terms_of_service_accepted_at=draft.completed_at[StepId.REVIEW],
            )
