"""Pydantic models of the Partner Center resources nceflow reads and writes.

Field names follow Microsoft's JSON (camelCase on the wire, snake_case in Python). Unknown fields
are ignored on input so that a new field added by Microsoft never breaks a running service; bodies
we send are serialised with `to_wire()` (aliases, no `None` fields), exactly as the docs show them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel


class PartnerCenterModel(BaseModel):
    """Base of every resource: camelCase aliases, lenient on unknown input fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON body Partner Center expects: camelCase keys, absent instead of null."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class ResourceAttributes(PartnerCenterModel):
    """`attributes` carried by every resource."""

    object_type: str | None = None
    etag: str | None = None


class LinkHeader(PartnerCenterModel):
    """A header to send when following a link (e.g. `MS-ContinuationToken`)."""

    key: str
    value: str


class Link(PartnerCenterModel):
    """A hypermedia link; `uri` is relative to `/v1` or absolute, as Microsoft returns it."""

    uri: str
    method: str = "GET"
    headers: list[LinkHeader] = Field(default_factory=list)


class CollectionLinks(PartnerCenterModel):
    """Links of a collection page."""

    self_: Link | None = Field(default=None, alias="self")
    next: Link | None = None
    previous: Link | None = None


class Address(PartnerCenterModel):
    """A postal address (billing default address, or an address to validate)."""

    country: str | None = None
    region: str | None = None
    city: str | None = None
    state: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    postal_code: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None


class CompanyProfile(PartnerCenterModel):
    """`companyProfile` of a customer; `domain` is `<prefix>.onmicrosoft.com` on creation."""

    tenant_id: str | None = None
    domain: str | None = None
    company_name: str | None = None
    organization_registration_number: str | None = None
    """Required for customers in some countries ("Create a customer"; `customer_rules`)."""
    attributes: ResourceAttributes | None = None


class BillingProfile(PartnerCenterModel):
    """`billingProfile` of a customer."""

    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    culture: str | None = None
    language: str | None = None
    company_name: str | None = None
    default_address: Address | None = None
    attributes: ResourceAttributes | None = None


class UserCredentials(PartnerCenterModel):
    """One-time admin credentials of a newly created tenant; the password is a secret."""

    user_name: str
    password: SecretStr | None = None

    def to_wire(self) -> dict[str, Any]:
        body = super().to_wire()
        if self.password is not None:
            body["password"] = self.password.get_secret_value()
        return body


class RelationshipToPartner(StrEnum):
    """Known values of `relationshipToPartner`; the model keeps unknown ones as strings."""

    NONE = "none"
    RESELLER = "reseller"
    ADVISOR = "advisor"
    MICROSOFT_SUPPORT = "microsoftSupport"


class Customer(PartnerCenterModel):
    """A customer tenant as the partner sees it."""

    id: str | None = None
    commerce_id: str | None = None
    company_profile: CompanyProfile | None = None
    billing_profile: BillingProfile | None = None
    relationship_to_partner: str | None = None
    allow_delegated_access: bool | None = None
    user_credentials: UserCredentials | None = None
    custom_domains: list[str] | None = None
    associated_partner_id: str | None = None
    attributes: ResourceAttributes | None = None

    @property
    def has_reseller_relationship(self) -> bool:
        """Whether the partner may transact for this customer (`relationshipToPartner`)."""
        return (self.relationship_to_partner or "").lower() == RelationshipToPartner.RESELLER


class RelationshipRequest(PartnerCenterModel):
    """The link a customer's global admin opens to accept the reseller relationship."""

    url: str
    attributes: ResourceAttributes | None = None


class AgreementType(StrEnum):
    MICROSOFT_CUSTOMER_AGREEMENT = "MicrosoftCustomerAgreement"


class AgreementMetadata(PartnerCenterModel):
    """An agreement template (`GET /v1/agreements`)."""

    template_id: str
    agreement_type: str | None = None
    agreement_link: str | None = None
    version_rank: int | None = None
    attributes: ResourceAttributes | None = None


class Contact(PartnerCenterModel):
    """`primaryContact` of an agreement acceptance."""

    first_name: str
    last_name: str
    email: str
    phone_number: str | None = None


class Agreement(PartnerCenterModel):
    """A customer's acceptance of an agreement (MCA attestation)."""

    primary_contact: Contact | None = None
    template_id: str | None = None
    date_agreed: datetime | None = None
    type: str | None = None
    agreement_link: str | None = None
    user_id: str | None = None
    attributes: ResourceAttributes | None = None


class Qualification(PartnerCenterModel):
    """A customer qualification such as `StateOwnedEntity`."""

    qualification: str
    vetting_status: str | None = None
    vetting_reason: str | None = None
    vetting_create_date: datetime | None = None


class PartnerRelationship(PartnerCenterModel):
    """An indirect reseller of the indirect provider (`IsIndirectCloudSolutionProviderOf`)."""

    id: str
    name: str | None = None
    relationship_type: str | None = None
    state: str | None = None
    mpn_id: str | None = None
    location: str | None = None
    attributes: ResourceAttributes | None = None


class ResellerValidation(PartnerCenterModel):
    """One result of "Validate reseller partner of record (POR)": whether a partner (PLA) id
    is an authorized indirect reseller of the calling provider, and Microsoft's reason if not."""

    partner_id: str
    is_valid_partner_id_on_record: bool
    error_code: int | str | None = None
    error_description: str | None = None


class ResellerValidations(PartnerCenterModel):
    validation_results: list[ResellerValidation] = Field(default_factory=list)


class ProductType(PartnerCenterModel):
    id: str | None = None
    display_name: str | None = None


class Product(PartnerCenterModel):
    """A catalog product (`CFQ7TTC0LH18` = Microsoft 365 Business Basic, ...)."""

    id: str
    title: str | None = None
    description: str | None = None
    product_type: ProductType | None = None
    is_microsoft_product: bool | None = None
    publisher_name: str | None = None
    attributes: ResourceAttributes | None = None


class SkuAttestation(PartnerCenterModel):
    """`attestationProperties` of a SKU: an offer whose cart lines need `attestationAccepted`."""

    attestation_type: str | None = None
    attestation_text: str | None = None
    enforce_attestation: bool = False


class Sku(PartnerCenterModel):
    """A SKU of a product."""

    id: str
    product_id: str | None = None
    title: str | None = None
    description: str | None = None
    minimum_quantity: int | None = None
    maximum_quantity: int | None = None
    is_trial: bool | None = None
    supported_billing_cycles: list[str] = Field(default_factory=list)
    purchase_prerequisites: list[str] = Field(default_factory=list)
    dynamic_attributes: dict[str, Any] | None = None
    attestation_properties: SkuAttestation | None = None
    attributes: ResourceAttributes | None = None


class Currency(PartnerCenterModel):
    code: str
    symbol: str | None = None


class AvailabilityTerm(PartnerCenterModel):
    """A term an availability can be bought with (`P1M`/`P1Y`/`P3Y` and its billing cycle)."""

    duration: str
    description: str | None = None
    billing_cycle: str | None = None


class Availability(PartnerCenterModel):
    """A purchasable availability; `catalogItemId` is what goes into a cart line."""

    id: str
    product_id: str | None = None
    sku_id: str | None = None
    catalog_item_id: str
    default_currency: Currency | None = None
    segment: str | None = None
    country: str | None = None
    is_purchasable: bool | None = None
    is_renewable: bool | None = None
    terms: list[AvailabilityTerm] = Field(default_factory=list)
    attributes: ResourceAttributes | None = None


class TermDuration(StrEnum):
    P1M = "P1M"
    P1Y = "P1Y"
    P3Y = "P3Y"


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"
    TRIENNIAL = "triennial"


class ParticipantKey(StrEnum):
    TRANSACTION_RESELLER = "transaction_reseller"
    ADDITIONAL_TRANSACTION_RESELLER = "additional_transaction_reseller"


class CartLineItemParticipant(PartnerCenterModel):
    """A participant of a line item; `transaction_reseller` = the indirect reseller's MPN id."""

    key: str
    value: str


class CartError(PartnerCenterModel):
    """An error of one cart line ("Cart resources"); the cart exists (201) but its checkout is
    refused until the line is fixed. Codes 10000-10015 (`CartErrorCode`), e.g. 10012: the
    offer's attestation was not accepted on the line."""

    error_code: str | int | None = None
    error_description: str | None = None


class CartLineItem(PartnerCenterModel):
    """One line of a cart."""

    id: int
    catalog_item_id: str
    quantity: int = Field(ge=1)
    billing_cycle: str
    term_duration: str | None = None
    friendly_name: str | None = None
    currency_code: str | None = None
    order_group: str | None = None
    participants: list[CartLineItemParticipant] | None = None
    provisioning_context: dict[str, str] | None = None
    promotion_id: str | None = None
    attestation_accepted: bool | None = None
    """The acceptance of an attestation the offer requires (its SKU's `attestationProperties`)."""
    error: CartError | None = None


class CartStatus(StrEnum):
    ACTIVE = "Active"
    ORDERED = "Ordered"


class Cart(PartnerCenterModel):
    """A cart; `partner_on_record_attestation_accepted` is required on every cart ("Create a
    cart"; Partner Center answers 900206 without it)."""

    id: str | None = None
    creation_timestamp: datetime | None = None
    last_modified_timestamp: datetime | None = None
    # The docs spell it both `expirationTimestamp` (samples) and `expirationTimeStamp` (table).
    expiration_timestamp: datetime | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "expirationTimestamp", "expirationTimeStamp", "expiration_timestamp"
        ),
        serialization_alias="expirationTimestamp",
    )
    last_modified_user: str | None = None
    status: str | None = None
    # Microsoft spells this one with a capital P on the wire.
    partner_on_record_attestation_accepted: bool | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "PartnerOnRecordAttestationAccepted",
            "partnerOnRecordAttestationAccepted",
            "partner_on_record_attestation_accepted",
        ),
        serialization_alias="PartnerOnRecordAttestationAccepted",
    )
    line_items: list[CartLineItem] = Field(default_factory=list)
    attributes: ResourceAttributes | None = None

    @property
    def line_errors(self) -> list[tuple[CartLineItem, CartError]]:
        """The lines Partner Center flagged, with their error: checking out would fail."""
        return [(line, line.error) for line in self.line_items if line.error is not None]

    @property
    def is_ordered(self) -> bool:
        """Whether the cart was checked out (an order exists for it)."""
        return (self.status or "").lower() == CartStatus.ORDERED.lower()

    def is_expired(self, now: datetime) -> bool:
        """Whether an unordered cart can no longer be checked out (7 days after creation).

        Only then may a retried order create a new cart (with a new `MS-RequestId`).
        """
        if self.is_ordered or self.expiration_timestamp is None:
            return False
        return now >= self.expiration_timestamp


class OrderLineItem(PartnerCenterModel):
    """A line of an order; `subscription_id` appears once provisioned."""

    line_item_number: int
    offer_id: str
    subscription_id: str | None = None
    parent_subscription_id: str | None = None
    term_duration: str | None = None
    transaction_type: str | None = None
    friendly_name: str | None = None
    quantity: int
    partner_id_on_record: str | None = None
    additional_partner_ids_on_record: list[str] | None = None
    links: dict[str, Link] | None = None


class OrderStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Order(PartnerCenterModel):
    """An order created by a checkout."""

    id: str
    alternate_id: str | None = None
    reference_customer_id: str | None = None
    billing_cycle: str | None = None
    currency_code: str | None = None
    currency_symbol: str | None = None
    line_items: list[OrderLineItem] = Field(default_factory=list)
    creation_date: datetime | None = None
    status: str | None = None
    transaction_type: str | None = None
    links: dict[str, Link] | None = None
    attributes: ResourceAttributes | None = None


class OrderError(PartnerCenterModel):
    """A failed order group of a checkout (a partial failure is still HTTP 200)."""

    order_group_id: str | None = None
    code: int | str | None = None
    description: str | None = None


class CartCheckoutResult(PartnerCenterModel):
    """What a checkout returns: the orders placed and the order groups that failed."""

    orders: list[Order] = Field(default_factory=list)
    order_errors: list[OrderError] = Field(default_factory=list)
    attributes: ResourceAttributes | None = None


class ProvisioningStatus(PartnerCenterModel):
    """Provisioning status of one order line item."""

    line_item_number: int | None = None
    status: str | None = None
    quantity_provisioning_information: list[dict[str, Any]] = Field(default_factory=list)
    subscription_id: str | None = None


class AddressValidationResult(PartnerCenterModel):
    """Result of `POST /v1/validations/address`."""

    original_address: Address | None = None
    suggested_addresses: list[Address] = Field(default_factory=list)
    status: str | None = None
    validation_message: str | None = None

    @property
    def is_valid(self) -> bool:
        """Microsoft answers `Verified…` statuses for addresses it accepts."""
        return (self.status or "").lower().startswith("verified")


ItemT = TypeVar("ItemT", bound=BaseModel)


class ResourceCollection(PartnerCenterModel, Generic[ItemT]):
    """A page of a list call: `items` plus a continuation in `links.next` or `continuationToken`."""

    total_count: int | None = None
    items: list[ItemT] = Field(default_factory=list)
    links: CollectionLinks | None = None
    continuation_token: str | None = None
    attributes: ResourceAttributes | None = None
