"""The simulator's seed data: partners, their apps, existing customers and the NCE catalog.

The file `data/seed.json` is camelCase like Partner Center itself; these models load and check it.
Other packages (the client's tests, the devstack) may import `load_seed()` to learn the seeded
credentials and ids instead of copying them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel

TermDuration = Literal["P1M", "P1Y", "P3Y"]
BillingCycle = Literal["monthly", "annual", "triennial"]
Relationship = Literal["none", "reseller", "advisor"]


class SeedModel(BaseModel):
    """camelCase in the file, snake_case in Python; frozen because the seed is a template."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


class EntraSettings(SeedModel):
    """What the simulated Microsoft Entra ID accepts as the Partner Center audience."""

    authority: str
    resource: str
    scope: str


class PartnerApp(SeedModel):
    """The partner's Entra app registration and one partner user's refresh token (App+User)."""

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    user_principal_name: str


class SignInApp(SeedModel):
    """The marketplace's multi-tenant Entra app that signs customers in (OpenID Connect)."""

    client_id: str
    client_secret: SecretStr
    name: str
    redirect_uris: tuple[str, ...] = Field(min_length=1)


class SeedUser(SeedModel):
    """A user of a customer tenant, who can sign in with Microsoft."""

    object_id: str
    user_principal_name: str
    display_name: str
    password: SecretStr


class IndirectReseller(SeedModel):
    """An indirect reseller linked to an indirect provider."""

    partner_id: str
    mpn_id: str
    name: str
    location: str = "US"


class Partner(SeedModel):
    """A CSP partner tenant: a direct-bill partner or an indirect provider with its resellers."""

    key: str
    model: Literal["direct", "indirectProvider"]
    name: str
    tenant_id: str
    mpn_id: str
    app: PartnerApp
    resellers: tuple[IndirectReseller, ...] = ()


class Address(SeedModel):
    """A customer's default billing address and contact."""

    first_name: str
    last_name: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    country: str
    phone_number: str


class CustomerRelationship(SeedModel):
    """A customer tenant's relationship with one of the seeded partners."""

    partner: str
    relationship_to_partner: Relationship
    associated_partner_id: str | None = None


class SeedCustomer(SeedModel):
    """An existing customer tenant."""

    id: str
    domain: str
    company_name: str
    email: str
    address: Address
    relationships: tuple[CustomerRelationship, ...]
    mca_accepted_on: datetime | None = None
    qualifications: tuple[str, ...] = ()
    users: tuple[SeedUser, ...] = ()


class TermPrice(SeedModel):
    """List price per seat for one billing period of a term (USD)."""

    billing_cycle: BillingCycle
    unit_price: Decimal


class Term(SeedModel):
    """A term an availability can be bought for, with its legal billing cycles and prices."""

    duration: TermDuration
    prices: tuple[TermPrice, ...] = Field(min_length=1)

    @property
    def billing_cycles(self) -> tuple[BillingCycle, ...]:
        """The billing cycles allowed with this term."""
        return tuple(p.billing_cycle for p in self.prices)


class Availability(SeedModel):
    """A purchasable availability of a SKU (its id is opaque, like Microsoft's)."""

    id: str
    terms: tuple[Term, ...] = Field(min_length=1)


class Sku(SeedModel):
    """A SKU of a product."""

    id: str
    title: str
    description: str
    minimum_quantity: int
    maximum_quantity: int
    availabilities: tuple[Availability, ...]


class Product(SeedModel):
    """An NCE licence-based product."""

    id: str
    title: str
    description: str
    skus: tuple[Sku, ...]


class Currency(SeedModel):
    """The catalog's currency."""

    code: str
    symbol: str


class Catalog(SeedModel):
    """The products offered in one country."""

    country: str
    currency: Currency
    products: tuple[Product, ...]


class Seed(SeedModel):
    """Everything the simulator starts from (and returns to on `POST /_sim/reset`)."""

    entra: EntraSettings
    partners: tuple[Partner, ...] = Field(min_length=1)
    customers: tuple[SeedCustomer, ...]
    taken_domains: tuple[str, ...]
    mca_template_id: str
    catalog: Catalog
    sign_in_apps: tuple[SignInApp, ...] = ()

    def partner(self, key: str) -> Partner:
        """The seeded partner named `key` (`direct` or `indirect`)."""
        for partner in self.partners:
            if partner.key == key:
                return partner
        raise KeyError(key)

    def customer_by_domain(self, domain: str) -> SeedCustomer:
        """The seeded customer whose primary domain is exactly `domain`."""
        for customer in self.customers:
            if customer.domain == domain.lower():
                return customer
        raise KeyError(domain)


def load_seed(path: Path | None = None) -> Seed:
    """Load the seed from `path`, or the one shipped with the package."""
    if path is not None:
        return Seed.model_validate_json(path.read_bytes())
    text = resources.files("nceflow.partner_center_sim").joinpath("data/seed.json").read_bytes()
    return Seed.model_validate_json(text)
