"""Events checkout publishes on `nce.checkout.order-events.v1`, and the values inside them.

`OrderConfirmed` is self-sufficient: fulfilment places the order from it alone, without calling
checkout back. Impossible combinations (a new tenant with a primary domain, an indirect sale
without the partner-of-record attestation) are rejected by the model, not left to consumers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from nceflow.schemas.base import CheckoutOrderEvent, ContractModel
from nceflow.schemas.values import (
    AbandonReason,
    AccountChoice,
    BillingCycle,
    CatalogItemId,
    CatalogPart,
    CountryCode,
    CurrencyCode,
    DomainName,
    EmailAddress,
    HttpsUrl,
    IdempotencyKey,
    Money,
    OnMicrosoftDomain,
    PartnerCenterId,
    PersonName,
    PhoneNumber,
    Qualification,
    SalesModel,
    Term,
    Token,
    UserRef,
    WizardStep,
)

Text = Annotated[str, Field(min_length=1, max_length=256)]
"""A bounded, non-empty line of text."""

# --- parties -----------------------------------------------------------------------------------


class Contact(ContractModel):
    """A person the customer names: the tenant's primary contact or the MCA signatory."""

    first_name: PersonName
    """Given name."""
    last_name: PersonName
    """Family name."""
    email: EmailAddress
    """E-mail address."""
    phone: PhoneNumber
    """Phone number, international format preferred (e.g. `+1 425 555 0100`)."""


class Reseller(ContractModel):
    """The Microsoft partner that sells to this marketplace account.

    In the direct model the reseller transacts on its own CSP contract. In the indirect model the
    indirect provider transacts (its Partner Center account places the order) and the reseller
    takes part as `associatedPartnerId` of a new customer and as the cart's `transaction_reseller`.
    """

    reseller_id: Token
    """The marketplace's id of the reseller (the key of the reseller directory)."""
    name: Text
    """Display name of the reseller, for messages to the customer."""
    sales_model: SalesModel
    """Direct or indirect sales model."""
    partner_id: Token
    """The reseller's own Partner Center partner id (tenant id)."""
    mpn_id: Token | None = None
    """The reseller's MPN / partner location id; required in the indirect model, where it is the
    cart's `transaction_reseller` participant."""
    indirect_provider_partner_id: Token | None = None
    """Partner id of the indirect provider whose Partner Center account places the order; only in
    the indirect model."""

    @model_validator(mode="after")
    def _ids_match_sales_model(self) -> Self:
        if self.sales_model is SalesModel.INDIRECT:
            if self.indirect_provider_partner_id is None or self.mpn_id is None:
                raise ValueError(
                    "an indirect reseller needs indirect_provider_partner_id and mpn_id"
                )
        elif self.indirect_provider_partner_id is not None:
            raise ValueError("a direct reseller has no indirect_provider_partner_id")
        return self

    @property
    def transacting_partner_id(self) -> str:
        """The partner whose Partner Center account places the order."""
        return self.indirect_provider_partner_id or self.partner_id


# --- tenant ------------------------------------------------------------------------------------


class Address(ContractModel):
    """A postal address, in the shape Partner Center's `defaultAddress` takes."""

    address_line1: Text
    """First address line."""
    address_line2: Text | None = None
    """Second address line, if any."""
    address_line3: Text | None = None
    """Third address line, if any."""
    city: Text
    """City or locality."""
    state: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """State, province or region, where the country has them."""
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    """Postal code."""
    country: CountryCode
    """ISO 3166-1 alpha-2 country code."""


class CompanyProfile(ContractModel):
    """What Partner Center needs to create a new customer tenant."""

    company_name: Text
    """Legal name of the customer's company."""
    address: Address
    """The company's address (billing profile default address)."""
    primary_contact: Contact
    """The tenant's primary contact."""
    domain: OnMicrosoftDomain
    """Initial domain of the new tenant, `<prefix>.onmicrosoft.com`; checked free at checkout."""
    organization_registration_number: Annotated[str, Field(min_length=1, max_length=50)] | None = (
        None
    )
    """The company's registration number, which Partner Center requires for customers in some
    countries ("Create a customer": `organizationRegistrationNumber`); absent elsewhere."""


class RelationshipConfirmedByCustomer(ContractModel):
    """The customer said it accepted the reseller relationship through Microsoft's link."""

    status: Literal["confirmed_by_customer"]
    """Discriminator."""
    confirmed_at: AwareDatetime
    """When the customer confirmed ("Yes, authorization done")."""
    confirmed_by: UserRef
    """Marketplace user id of the person who confirmed."""


class RelationshipOnRecord(ContractModel):
    """Checkout found the reseller relationship already on record; the customer was not asked."""

    status: Literal["on_record"]
    """Discriminator."""
    checked_at: AwareDatetime
    """When checkout saw the relationship on record."""


RelationshipEvidence = Annotated[
    RelationshipConfirmedByCustomer | RelationshipOnRecord, Field(discriminator="status")
]


class NewTenant(ContractModel):
    """The customer wants a new Microsoft tenant created for this order."""

    account: Literal[AccountChoice.NEW]
    """Discriminator: `new`."""
    company: CompanyProfile
    """Profile of the tenant to create."""


class ExistingTenant(ContractModel):
    """The customer uses its existing Microsoft tenant."""

    account: Literal[AccountChoice.EXISTING]
    """Discriminator: `existing`."""
    primary_domain: DomainName
    """Primary domain of the existing tenant; fulfilment finds the customer by it."""
    relationship: RelationshipEvidence
    """Why checkout believes the reseller relationship exists."""


Tenant = Annotated[NewTenant | ExistingTenant, Field(discriminator="account")]


# --- agreements --------------------------------------------------------------------------------


class PartnerOfRecordAttestation(ContractModel):
    """Indirect sales: the customer attested who its partner of record is."""

    accepted_at: AwareDatetime
    """When the attestation was accepted."""
    partner_id: Token
    """The partner id the attestation names (the indirect reseller)."""


class McaAcceptance(ContractModel):
    """The customer's acceptance of the Microsoft Customer Agreement."""

    accepted_by: Contact
    """The person who accepted, as Partner Center's attestation `primaryContact` takes it."""
    date_agreed: date
    """The date the agreement was accepted."""
    agreement_link: HttpsUrl
    """Link to the agreement text that was accepted."""


# --- items -------------------------------------------------------------------------------------


class OrderItem(ContractModel):
    """One line of the order, priced by the catalog."""

    plan_id: Token
    """The marketplace catalog's plan id."""
    catalog_item_id: CatalogItemId
    """Partner Center `catalogItemId` = `product_id:sku_id:availability_id`."""
    product_id: CatalogPart
    """Partner Center product id, e.g. `CFQ7TTC0LH18`."""
    sku_id: CatalogPart
    """Partner Center SKU id, e.g. `0001`."""
    availability_id: CatalogPart
    """Partner Center availability id (opaque)."""
    title: Text
    """Plan title as the customer saw it."""
    term: Term
    """Term duration."""
    billing_cycle: BillingCycle
    """Billing cycle."""
    quantity: int = Field(ge=1, le=100_000)
    """Number of licences."""
    unit_price: Money
    """Price of one licence for one billing period, as confirmed by the customer."""
    currency: CurrencyCode
    """Currency of `unit_price`."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        expected = f"{self.product_id}:{self.sku_id}:{self.availability_id}"
        if self.catalog_item_id != expected:
            raise ValueError(f"catalog_item_id must be {expected!r} (product:sku:availability)")
        if self.term is Term.P1M and self.billing_cycle is not BillingCycle.MONTHLY:
            raise ValueError("a P1M term is only billed monthly")
        if self.billing_cycle is BillingCycle.TRIENNIAL and self.term is not Term.P3Y:
            raise ValueError("triennial billing needs a P3Y term")
        return self

    @property
    def amount(self) -> Decimal:
        """Price of the line for one billing period."""
        return self.unit_price * self.quantity


Totals = Annotated[dict[CurrencyCode, Money], Field(min_length=1)]
"""Amount per billing period summed per currency, e.g. `{"USD": "36.00"}`."""


def totals_of(items: Iterable[OrderItem]) -> dict[str, Decimal]:
    """Sum the items' amounts per currency (what `totals` must say)."""
    sums: defaultdict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        sums[item.currency] += item.amount
    return dict(sums)


Items = Annotated[list[OrderItem], Field(min_length=1, max_length=100)]


def _check_totals(items: list[OrderItem], totals: dict[str, Decimal]) -> None:
    expected = totals_of(items)
    if totals != expected:
        shown = {currency: str(amount) for currency, amount in expected.items()}
        raise ValueError(f"totals must equal the sum of the items per currency: {shown}")


# --- wizard steps (StepCompleted) --------------------------------------------------------------


class CartStep(ContractModel):
    """The cart was saved and priced."""

    id: Literal[WizardStep.CART]
    """Step id."""
    items: Items
    """The priced items."""
    totals: Totals
    """Totals per currency."""

    @model_validator(mode="after")
    def _totals_add_up(self) -> Self:
        _check_totals(self.items, self.totals)
        return self


class AccountStep(ContractModel):
    """The customer chose a new or an existing Microsoft account."""

    id: Literal[WizardStep.ACCOUNT]
    """Step id."""
    account: AccountChoice
    """New or existing tenant."""


class CompanyProfileStep(ContractModel):
    """The customer entered the profile of the new tenant."""

    id: Literal[WizardStep.COMPANY_PROFILE]
    """Step id."""
    company: CompanyProfile
    """The company profile."""


class PartnerRelationshipStep(ContractModel):
    """The customer confirmed accepting the reseller relationship."""

    id: Literal[WizardStep.PARTNER_RELATIONSHIP]
    """Step id."""
    authorization_done: Literal[True]
    """The customer set "authorization done" to yes."""


class PartnerOfRecordStep(ContractModel):
    """Indirect sales: the customer accepted the partner-of-record attestation."""

    id: Literal[WizardStep.PARTNER_OF_RECORD]
    """Step id."""
    attestation: PartnerOfRecordAttestation
    """The attestation."""


class TenantDomainStep(ContractModel):
    """The customer gave the primary domain of its existing tenant."""

    id: Literal[WizardStep.TENANT_DOMAIN]
    """Step id."""
    primary_domain: DomainName
    """Primary domain of the existing tenant."""
    customer_found: bool
    """Whether Partner Center already lists a customer of the partner with this domain (false
    only when checkout is set to leave that check to fulfilment)."""


class TenantSignInStep(ContractModel):
    """The customer signed in with Microsoft as a user of the existing tenant, proving that the
    marketplace account may order into it."""

    id: Literal[WizardStep.TENANT_SIGN_IN]
    """Step id."""
    customer_tenant_id: PartnerCenterId
    """The tenant the signed-in user belongs to (the ID token's `tid`)."""


class McaStep(ContractModel):
    """The customer accepted the Microsoft Customer Agreement."""

    id: Literal[WizardStep.MCA]
    """Step id."""
    mca: McaAcceptance
    """The acceptance."""


class QualificationStep(ContractModel):
    """The customer said whether it is a State Owned Entity."""

    id: Literal[WizardStep.QUALIFICATION]
    """Step id."""
    qualification: Qualification
    """`none` or `state_owned_entity`."""


class ReviewStep(ContractModel):
    """The customer reviewed the order and accepted the terms of service."""

    id: Literal[WizardStep.REVIEW]
    """Step id."""
    terms_of_service_accepted_at: AwareDatetime
    """When the terms of service were accepted."""


StepData = Annotated[
    CartStep
    | AccountStep
    | CompanyProfileStep
    | PartnerRelationshipStep
    | PartnerOfRecordStep
    | TenantDomainStep
    | TenantSignInStep
    | McaStep
    | QualificationStep
    | ReviewStep,
    Field(discriminator="id"),
]
"""The data of one completed wizard step, discriminated by the step `id`."""


# --- events ------------------------------------------------------------------------------------


class OrderDrafted(CheckoutOrderEvent):
    """A customer started a draft order. The draft's id is the order id from here on."""

    marketplace_account_id: Token
    """The customer's marketplace account id."""
    reseller_id: Token
    """The marketplace's id of the reseller selling to this account."""
    expires_at: AwareDatetime
    """When the draft expires if left idle (it is then abandoned)."""


class StepCompleted(CheckoutOrderEvent):
    """The customer completed (or edited) one wizard step."""

    step: StepData
    """The step's id and data as saved."""


class OrderConfirmed(CheckoutOrderEvent):
    """The customer clicked Buy: everything fulfilment needs to place the order."""

    marketplace_account_id: Token
    """The customer's marketplace account id."""
    reseller: Reseller
    """The reseller selling to the customer, with its Partner Center ids."""
    tenant: Tenant
    """New tenant (with its company profile) or existing tenant (with its primary domain and the
    relationship evidence), discriminated by `account`."""
    partner_of_record: PartnerOfRecordAttestation | None = None
    """The partner-of-record attestation: present exactly when the sales model is indirect."""
    mca: McaAcceptance
    """The Microsoft Customer Agreement acceptance to attest."""
    qualification: Qualification
    """`state_owned_entity` makes fulfilment record the qualification before ordering."""
    terms_of_service_accepted_at: AwareDatetime
    """When the customer accepted the terms of service at review."""
    items: Items
    """The order lines, as priced at confirmation."""
    totals: Totals
    """Totals per currency, equal to the sum of the items."""
    idempotency_key: IdempotencyKey
    """The Buy request's `Idempotency-Key`."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        indirect = self.reseller.sales_model is SalesModel.INDIRECT
        if indirect and self.partner_of_record is None:
            raise ValueError("an indirect sale needs the partner_of_record attestation")
        if not indirect and self.partner_of_record is not None:
            raise ValueError("partner_of_record applies only to indirect sales")
        _check_totals(self.items, self.totals)
        return self

    @property
    def account(self) -> AccountChoice:
        """New or existing tenant."""
        return self.tenant.account


class OrderAbandoned(CheckoutOrderEvent):
    """A draft ended without an order: it expired or the customer cancelled it."""

    reason: AbandonReason
    """`expired` (idle too long) or `cancelled` (by the customer)."""
    last_step: WizardStep | None = None
    """The step the customer was on, if known."""
