"""The simulator's mutable records of customers, carts and orders (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class PartnerLink:
    """A customer's relationship with one partner tenant."""

    relationship: str  # Microsoft's relationshipToPartner: "none" or "reseller"
    associated_partner_id: str | None = None
    # Delegated admin privileges (`allowDelegatedAccess`): the reseller link grants them here.
    delegated_access: bool = True
    # Indirect resellers (partner ids) the customer accepted an IndirectResellerRelationship
    # link of, besides `associated_partner_id` (the one a customer was created for).
    indirect_resellers: set[str] = field(default_factory=set)

    def resellers(self) -> set[str]:
        """Every indirect reseller linked to the customer through this provider (lower case)."""
        linked = {r.lower() for r in self.indirect_resellers}
        if self.associated_partner_id:
            linked.add(self.associated_partner_id.lower())
        return linked


@dataclass(slots=True)
class AgreementRecord:
    """A confirmation that the customer accepted an agreement (the MCA)."""

    user_id: str
    primary_contact: dict[str, Any]
    template_id: str
    date_agreed: str
    type: str
    agreement_link: str


@dataclass(slots=True)
class QualificationRecord:
    """A customer qualification such as StateOwnedEntity."""

    qualification: str
    vetting_status: str
    vetting_create_date: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CustomerRecord:
    """A customer tenant as Partner Center knows it."""

    id: str
    commerce_id: str
    domain: str
    company_name: str
    email: str
    culture: str
    language: str
    address: dict[str, Any]
    billing_profile_id: str
    partners: dict[str, PartnerLink]
    agreements: list[AgreementRecord] = field(default_factory=list)
    qualifications: list[QualificationRecord] = field(default_factory=list)
    organization_registration_number: str | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user of a customer tenant who can sign in with Microsoft."""

    object_id: str
    user_principal_name: str
    display_name: str
    password: str
    tenant_id: str


@dataclass(slots=True)
class CartLine:
    """A line of a cart."""

    id: int
    catalog_item_id: str
    quantity: int
    billing_cycle: str
    term_duration: str
    participants: list[dict[str, str]]
    provisioning_context: dict[str, str]
    friendly_name: str | None
    order_group: str = "0"
    attestation_accepted: bool | None = None
    # `CartError` of the line ("Cart resources"): (errorCode, errorDescription).
    error: tuple[int, str] | None = None


@dataclass(slots=True)
class CartRecord:
    """A cart: Active until checked out, then Ordered."""

    id: str
    customer_id: str
    partner_key: str
    creation: datetime
    last_modified: datetime
    expiration: datetime
    last_modified_user: str
    attestation_accepted: bool
    lines: list[CartLine]
    status: str = "Active"
    checking_out: bool = False
    checkout_result: dict[str, Any] | None = None


@dataclass(slots=True)
class OrderLine:
    """A line of an order; its subscription id is shown once the order is provisioned."""

    line_item_number: int
    offer_id: str
    term_duration: str
    quantity: int
    friendly_name: str
    subscription_id: str
    partner_id_on_record: str | None
    additional_partner_ids: list[str]


@dataclass(slots=True)
class OrderRecord:
    """An order placed by a checkout."""

    id: str
    customer_id: str
    partner_key: str
    cart_id: str
    billing_cycle: str
    currency_code: str
    currency_symbol: str
    lines: list[OrderLine]
    creation: datetime
    completes_at: datetime
    # A status set through the control API (`POST /_sim/orders/{id}/status`), which wins.
    set_status: str | None = None

    def status(self, now: datetime) -> str:
        """`pending` until provisioning is done, then `completed`; or the status set."""
        if self.set_status is not None:
            return self.set_status
        return "completed" if now >= self.completes_at else "pending"

    def provisioned(self, line_item_number: int, now: datetime) -> bool:
        """Whether the line has its subscription: all lines of a `completed` order, the first
        of a `partial success` one, none otherwise."""
        status = self.status(now)
        return status == "completed" or (status == "partial success" and line_item_number == 0)
