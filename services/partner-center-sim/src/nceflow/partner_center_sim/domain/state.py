"""The simulator's in-memory Partner Center: customers, agreements, carts and orders.

Every mutating operation runs under one asyncio lock held by the route; none of them awaits, so
an operation is atomic. Checkout is the exception that may take time
(`checkout_processing_seconds`): the cart is marked busy under the lock, the wait happens outside
it, and the order is committed under the lock again, so two concurrent checkouts of one cart
can never create two orders.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nceflow.partner_center_sim.api.errors import (
    AGREEMENT_EXISTS,
    CART_ALREADY_ORDERED,
    CART_IN_PROGRESS,
    CART_LINE_ERRORS,
    MCA_MISSING,
    NO_RELATIONSHIP,
    PartnerCenterError,
    bad_request,
    not_found,
)
from nceflow.partner_center_sim.domain.catalog import CatalogIndex
from nceflow.partner_center_sim.domain.purchase_rules import (
    ADDITIONAL_RESELLER,
    TRANSACTION_RESELLER,
    NewCartLine,
    check_lines,
)
from nceflow.partner_center_sim.domain.records import (
    AgreementRecord,
    CartLine,
    CartRecord,
    CustomerRecord,
    OrderLine,
    OrderRecord,
    PartnerLink,
    QualificationRecord,
    UserRecord,
)
from nceflow.partner_center_sim.domain.seed import Partner, Seed
from nceflow.runtime.clock import utc_now

MCA = "MicrosoftCustomerAgreement"
MCA_LINK = "https://aka.ms/customeragreement"
CART_LIFETIME = timedelta(days=7)


def iso(moment: datetime) -> str:
    """Microsoft's timestamp format (UTC, `Z`)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _order_id() -> str:
    # Partner Center order ids are short lowercase hex strings, e.g. "f76c6b7f449d".
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """What `POST /v1/customers` asks for."""

    domain: str
    company_name: str
    email: str
    culture: str
    language: str
    address: dict[str, Any]
    associated_partner_id: str | None
    organization_registration_number: str | None = None


class SimState:
    """Partner Center's data, rebuilt from the seed on reset."""

    def __init__(self, seed: Seed) -> None:
        self.seed = seed
        self.catalog = CatalogIndex(seed.catalog)
        self.lock = asyncio.Lock()
        self.customers: dict[str, CustomerRecord] = {}
        self.carts: dict[str, CartRecord] = {}
        self.orders: dict[str, OrderRecord] = {}
        self.taken_domains: set[str] = set()
        self.users: dict[str, UserRecord] = {}  # lower-case user principal name -> user
        self.reset()

    # -- lifecycle -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed: seeded customers only, no carts, no orders."""
        self.catalog = CatalogIndex(self.seed.catalog)
        self.customers = {c.id: self._seed_customer(c.id) for c in self.seed.customers}
        self.carts = {}
        self.orders = {}
        self.taken_domains = {d.lower() for d in self.seed.taken_domains}
        self.users = {
            user.user_principal_name.lower(): UserRecord(
                object_id=user.object_id,
                user_principal_name=user.user_principal_name,
                display_name=user.display_name,
                password=user.password.get_secret_value(),
                tenant_id=customer.id,
            )
            for customer in self.seed.customers
            for user in customer.users
        }

    def _seed_customer(self, customer_id: str) -> CustomerRecord:
        seeded = next(c for c in self.seed.customers if c.id == customer_id)
        record = CustomerRecord(
            id=seeded.id,
            commerce_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"commerce:{seeded.id}")),
            domain=seeded.domain.lower(),
            company_name=seeded.company_name,
            email=seeded.email,
            culture="en-US",
            language="en",
            address=seeded.address.model_dump(by_alias=True),
            billing_profile_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"billing:{seeded.id}")),
            partners={
                r.partner: PartnerLink(r.relationship_to_partner, r.associated_partner_id)
                for r in seeded.relationships
            },
        )
        if seeded.mca_accepted_on is not None:
            contact = seeded.address
            record.agreements.append(
                AgreementRecord(
                    user_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{seeded.id}")),
                    primary_contact={
                        "firstName": contact.first_name,
                        "lastName": contact.last_name,
                        "email": seeded.email,
                        "phoneNumber": contact.phone_number,
                    },
                    template_id=self.seed.mca_template_id,
                    date_agreed=iso(seeded.mca_accepted_on),
                    type=MCA,
                    agreement_link=MCA_LINK,
                )
            )
        for name in seeded.qualifications:
            record.qualifications.append(
                QualificationRecord(name, "Approved", iso(seeded.mca_accepted_on or utc_now()))
            )
        return record

    # -- partners and customers ----------------------------------------------------------------

    def partner_by_key(self, key: str) -> Partner:
        """A seeded partner."""
        return self.seed.partner(key)

    def domain_taken(self, domain: str) -> bool:
        """Whether a tenant already uses `domain` (`HEAD /v1/domains/{domain}`)."""
        domain = domain.lower()
        return domain in self.taken_domains or any(
            c.domain == domain for c in self.customers.values()
        )

    def visible_customers(self, partner: Partner) -> list[CustomerRecord]:
        """The customers in `partner`'s customer list."""
        return [c for c in self.customers.values() if partner.key in c.partners]

    def customer(self, partner: Partner, customer_id: str) -> CustomerRecord:
        """A customer of `partner`, or Microsoft's 404."""
        _check_guid(customer_id, "customer-tenant-id")
        record = self.customers.get(customer_id.lower())
        if record is None or partner.key not in record.partners:
            raise not_found(f"Customer {customer_id} was not found.")
        return record

    def create_customer(self, partner: Partner, new: NewCustomer) -> tuple[CustomerRecord, str]:
        """Create a tenant with a reseller relationship; returns it and the admin's password."""
        if self.domain_taken(new.domain):
            raise PartnerCenterError(
                409, 60012, f"Domain {new.domain} is not available.", [{"domain": new.domain}]
            )
        if new.associated_partner_id is not None:
            if partner.model != "indirectProvider":
                raise bad_request("associatedPartnerId is only allowed for indirect providers.")
            if new.associated_partner_id.lower() not in {
                r.partner_id.lower() for r in partner.resellers
            }:
                raise bad_request(
                    f"{new.associated_partner_id} is not an indirect reseller of this partner."
                )
        tenant_id = str(uuid.uuid4())
        record = CustomerRecord(
            id=tenant_id,
            commerce_id=str(uuid.uuid4()),
            domain=new.domain.lower(),
            company_name=new.company_name,
            email=new.email,
            culture=new.culture,
            language=new.language,
            address=new.address,
            billing_profile_id=str(uuid.uuid4()),
            partners={partner.key: PartnerLink("reseller", new.associated_partner_id)},
            organization_registration_number=new.organization_registration_number,
        )
        self.customers[tenant_id] = record
        password = secrets.token_urlsafe(12)
        # The new tenant's global admin can sign in with Microsoft (e.g. to prove the tenant).
        admin = f"admin@{record.domain}"
        self.users[admin] = UserRecord(
            object_id=str(uuid.uuid4()),
            user_principal_name=admin,
            display_name=f"{record.company_name} admin",
            password=password,
            tenant_id=tenant_id,
        )
        return record, password

    def accept_relationship(
        self, customer_id: str, partner_key: str | None, reseller: str | None = None
    ) -> CustomerRecord:
        """What the customer's global admin does at the relationship link; with `reseller` (a
        partner id) the link is an indirect reseller's (`invType=IndirectResellerRelationship`,
        the reseller and its provider): the customer is then linked to that reseller too."""
        record = self.customers.get(customer_id.lower())
        if record is None:
            raise not_found(f"Customer {customer_id} was not found.")
        if reseller is not None:
            provider = self.seed.partner(partner_key or "indirect")
            if reseller.lower() not in {r.partner_id.lower() for r in provider.resellers}:
                raise bad_request(f"{reseller} is not an indirect reseller of {provider.key}.")
            provider_link = record.partners.setdefault(provider.key, PartnerLink("reseller"))
            provider_link.relationship = "reseller"
            provider_link.indirect_resellers.add(reseller.lower())
            return record
        keys = (
            [partner_key]
            if partner_key
            else list(record.partners) or [p.key for p in self.seed.partners]
        )
        for key in keys:
            self.seed.partner(key)  # KeyError for an unknown partner key
            link = record.partners.get(key)
            if link is None:
                record.partners[key] = PartnerLink("reseller")
            else:
                link.relationship = "reseller"
        return record

    # -- agreements and qualifications ---------------------------------------------------------

    def attest_agreement(
        self, partner: Partner, customer_id: str, agreement: AgreementRecord
    ) -> AgreementRecord:
        """Record the partner's confirmation that the customer accepted the MCA."""
        record = self.customer(partner, customer_id)
        if agreement.type != MCA:
            raise bad_request(f"Agreement type {agreement.type} is not supported.")
        if agreement.template_id.lower() != self.seed.mca_template_id.lower():
            raise bad_request(f"Template id {agreement.template_id} is not valid for {MCA}.")
        if any(
            a.type == MCA and _same_contact(a.primary_contact, agreement.primary_contact)
            for a in record.agreements
        ):
            # "Partner Center REST error codes": the same attestation again is refused.
            raise PartnerCenterError(
                400,
                AGREEMENT_EXISTS,
                "A partner confirmed agreement already exists for the customer.",
            )
        record.agreements.append(agreement)
        return agreement

    def add_qualification(
        self, partner: Partner, customer_id: str, qualification: QualificationRecord
    ) -> QualificationRecord:
        """Add a qualification; the same one twice is a 409."""
        record = self.customer(partner, customer_id)
        if any(
            q.qualification.lower() == qualification.qualification.lower()
            for q in record.qualifications
        ):
            raise PartnerCenterError(
                409,
                60074,
                f"Customer {customer_id} already has qualification {qualification.qualification}.",
            )
        record.qualifications.append(qualification)
        return qualification

    # -- carts ---------------------------------------------------------------------------------

    def _check_purchase_allowed(self, partner: Partner, customer: CustomerRecord) -> None:
        link = customer.partners.get(partner.key)
        if link is None or link.relationship != "reseller":
            raise PartnerCenterError(
                403,
                NO_RELATIONSHIP,
                f"The partner id {partner.tenant_id} has no commerce relationship with the "
                f"customer id {customer.id}.",
            )

    def create_cart(
        self,
        partner: Partner,
        customer_id: str,
        lines: list[NewCartLine],
        attestation: bool,
        user: str,
    ) -> CartRecord:
        """Create an Active cart that expires 7 days later."""
        customer = self.customer(partner, customer_id)
        self._check_purchase_allowed(partner, customer)
        cart_lines = check_lines(self.catalog, partner, lines, attestation)
        now = utc_now()
        cart = CartRecord(
            id=str(uuid.uuid4()),
            customer_id=customer.id,
            partner_key=partner.key,
            creation=now,
            last_modified=now,
            expiration=now + CART_LIFETIME,
            last_modified_user=user,
            attestation_accepted=attestation,
            lines=cart_lines,
        )
        self.carts[cart.id] = cart
        return cart

    def cart(self, partner: Partner, customer_id: str, cart_id: str) -> CartRecord:
        """A cart; an Active cart past its expiry is gone (404)."""
        customer = self.customer(partner, customer_id)
        _check_guid(cart_id, "cart-id")
        cart = self.carts.get(cart_id.lower())
        if cart is None or cart.customer_id != customer.id or cart.partner_key != partner.key:
            raise not_found(f"Cart {cart_id} was not found.")
        if cart.status == "Active" and cart.expiration <= utc_now():
            raise not_found(f"Cart {cart_id} has expired.")
        return cart

    def update_cart(
        self,
        partner: Partner,
        customer_id: str,
        cart_id: str,
        lines: list[NewCartLine],
        attestation: bool,
        user: str,
    ) -> CartRecord:
        """Replace the lines of an Active cart."""
        cart = self.cart(partner, customer_id, cart_id)
        if cart.status != "Active" or cart.checking_out:
            raise PartnerCenterError(
                400, CART_ALREADY_ORDERED, f"Cannot update an already submitted cart {cart.id}."
            )
        cart.lines = check_lines(self.catalog, partner, lines, attestation)
        cart.attestation_accepted = attestation
        cart.last_modified = utc_now()
        cart.last_modified_user = user
        return cart

    def begin_checkout(self, partner: Partner, customer_id: str, cart_id: str) -> CartRecord:
        """Validate a checkout and mark the cart busy; an Ordered cart is returned as is."""
        cart = self.cart(partner, customer_id, cart_id)
        if cart.status == "Ordered":
            return cart
        if cart.checking_out:
            raise PartnerCenterError(
                409, CART_IN_PROGRESS, f"Cart {cart.id} is being processed by another request."
            )
        customer = self.customer(partner, customer_id)
        self._check_purchase_allowed(partner, customer)
        for line in cart.lines:
            # An availability withdrawn since the cart was made: 404 / 400019 (the client
            # reads the current availability and builds the line again).
            self.catalog.item(line.catalog_item_id)
        broken = [line for line in cart.lines if line.error is not None]
        if broken:
            raise PartnerCenterError(
                400,
                CART_LINE_ERRORS,
                f"Cart {cart.id} has line items with errors: "
                + "; ".join(f"line {line.id}: {line.error[1]}" for line in broken if line.error),
            )
        if not any(a.type == MCA for a in customer.agreements):
            raise PartnerCenterError(
                403,
                MCA_MISSING,
                "Either a partner confirmation of the customer acceptance of the Microsoft "
                "Customer Agreement must be provided or the customer must accept the Microsoft "
                "Customer Agreement in the Microsoft Admin Center before you can complete this "
                "purchase",
            )
        cart.checking_out = True
        return cart

    def abort_checkout(self, cart: CartRecord) -> None:
        """Release a cart whose checkout did not complete."""
        cart.checking_out = False

    def complete_checkout(
        self,
        partner: Partner,
        cart: CartRecord,
        completion: timedelta,
        order_errors: list[dict[str, Any]] | None = None,
    ) -> list[OrderRecord]:
        """Turn the cart's order groups into orders and mark the cart Ordered."""
        now = utc_now()
        failed_groups = {str(e["orderGroupId"]) for e in order_errors or []}
        orders: list[OrderRecord] = []
        groups: dict[str, list[CartLine]] = {}
        for line in cart.lines:
            groups.setdefault(line.order_group, []).append(line)
        for group, lines in groups.items():
            if group in failed_groups:
                continue
            order = OrderRecord(
                id=_order_id(),
                customer_id=cart.customer_id,
                partner_key=partner.key,
                cart_id=cart.id,
                billing_cycle=lines[0].billing_cycle,
                currency_code=self.seed.catalog.currency.code,
                currency_symbol=self.seed.catalog.currency.symbol,
                lines=[self._order_line(n, line) for n, line in enumerate(lines)],
                creation=now,
                completes_at=now + completion,
            )
            self.orders[order.id] = order
            orders.append(order)
        cart.status = "Ordered"
        cart.checking_out = False
        cart.last_modified = now
        return orders

    def _order_line(self, number: int, line: CartLine) -> OrderLine:
        item = self.catalog.item(line.catalog_item_id)
        por = next(
            (p["value"] for p in line.participants if p["key"].lower() == TRANSACTION_RESELLER),
            None,
        )
        return OrderLine(
            line_item_number=number,
            offer_id=line.catalog_item_id,
            term_duration=line.term_duration,
            quantity=line.quantity,
            friendly_name=line.friendly_name or item.sku.title,
            subscription_id=str(uuid.uuid4()),
            partner_id_on_record=por,
            additional_partner_ids=[
                p["value"] for p in line.participants if p["key"].lower() == ADDITIONAL_RESELLER
            ],
        )

    # -- orders --------------------------------------------------------------------------------

    def order(self, partner: Partner, customer_id: str, order_id: str) -> OrderRecord:
        """An order of the customer, or Microsoft's 404 / 20000."""
        customer = self.customer(partner, customer_id)
        order = self.orders.get(order_id)
        if order is None or order.customer_id != customer.id or order.partner_key != partner.key:
            raise not_found(f"Order Id {order_id} not found", 20000)
        return order

    def customer_orders(self, customer_id: str) -> list[OrderRecord]:
        """Every order of a customer, oldest first."""
        return sorted(
            (o for o in self.orders.values() if o.customer_id == customer_id.lower()),
            key=lambda o: o.creation,
        )


def _same_contact(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two agreements name the same person (names and email, case-insensitive)."""
    fields = ("firstName", "lastName", "email")
    return all(
        str(first.get(f) or "").strip().lower() == str(second.get(f) or "").strip().lower()
        for f in fields
    )


def _check_guid(value: str, name: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError as exc:
        raise bad_request(f"{name} {value!r} is not a GUID.") from exc
