"""Value types shared by the events: identifiers, money, enumerations, personal data.

Every constraint here is part of the published contract: it lands in the JSON Schemas, so a
change that narrows one is a breaking change caught by the compatibility test.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import Field, PlainSerializer, WithJsonSchema

PII: Final[dict[str, Any]] = {"x-pii": True}
"""JSON Schema marker of personal data: subscribers must not log these fields or keep them longer
than they need to."""


# --- identifiers -------------------------------------------------------------------------------

OrderId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
"""Our order id, assigned when the draft is created and kept for the order's whole life. It is the
Kafka key and the CloudEvents `subject`, so it is restricted to characters safe in both."""

CorrelationId = Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,128}$")]
"""Ties together the logs, events and Partner Center calls of one order (logged beside each call's
own `MS-CorrelationId`, which Microsoft wants new for every call)."""

Token = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s]+$")]
"""An opaque identifier issued by another system (marketplace, Partner Center): no whitespace."""

PartnerCenterId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
"""An id issued by Partner Center (customer tenant id, cart id, order id, subscription id)."""

IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")]
"""The `Idempotency-Key` the customer's Buy request carried."""

CatalogItemId = Annotated[
    str, Field(pattern=r"^[^:\s]{1,64}:[^:\s]{1,64}:[^:\s]{1,64}$", max_length=194)
]
"""Partner Center `catalogItemId`: `productId:skuId:availabilityId`."""

CatalogPart = Annotated[str, Field(pattern=r"^[^:\s]{1,64}$")]
"""One part of a catalog item id (product, SKU or availability id); availability ids are opaque."""

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 alphabetic currency code, e.g. `USD`."""

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 country code, e.g. `US`."""

HttpsUrl = Annotated[str, Field(pattern=r"^https://[^\s]+$", max_length=2048)]
"""An absolute https link, kept as the exact string given (no URL normalisation on round trips)."""

DomainName = Annotated[
    str,
    Field(
        max_length=253,
        pattern=r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
    ),
]
"""A fully qualified DNS domain name, e.g. `contoso.com`."""

OnMicrosoftDomain = Annotated[str, Field(pattern=r"^[A-Za-z0-9]{1,27}\.onmicrosoft\.com$")]
"""The initial domain of a new Microsoft tenant: `<prefix>.onmicrosoft.com`, prefix letters and
digits only."""

# --- personal data ---------------------------------------------------------------------------

PersonName = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra=PII)]
"""A given or family name (personal data)."""

EmailAddress = Annotated[
    str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", json_schema_extra=PII)
]
"""An e-mail address (personal data). Deliberately loose: deliverability is checked upstream."""

PhoneNumber = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()./-]{3,30}$", json_schema_extra=PII)]
"""A phone number, international format preferred, e.g. `+1 425 555 0100` (personal data)."""

UserRef = Annotated[str, Field(min_length=1, max_length=256, json_schema_extra=PII)]
"""The marketplace's id of a user (personal data: it may be an e-mail address)."""

# --- money -------------------------------------------------------------------------------------

MONEY_PATTERN: Final = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"


def _fixed_point(amount: Decimal) -> str:
    """`12.50`, never `1.25E+1` or `-0`: the text the schema's pattern promises."""
    return format(amount + 0, "f")


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6),
    # Decimal on the wire is a JSON string: a float would silently lose cents.
    PlainSerializer(_fixed_point, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]
"""A non-negative amount in a currency's major unit, e.g. `"12.50"`: a decimal string on the
wire."""

# --- enumerations ------------------------------------------------------------------------------


class SalesModel(StrEnum):
    """How the reseller sells Microsoft: on its own CSP contract or through an indirect provider."""

    DIRECT = "direct"
    INDIRECT = "indirect"


class AccountChoice(StrEnum):
    """Whether the order creates a new Microsoft tenant or uses the customer's existing one."""

    NEW = "new"
    EXISTING = "existing"


class Qualification(StrEnum):
    """Customer qualification recorded in Partner Center before the order."""

    NONE = "none"
    STATE_OWNED_ENTITY = "state_owned_entity"


class Term(StrEnum):
    """NCE term duration (ISO 8601), Partner Center `termDuration`."""

    P1M = "P1M"
    P1Y = "P1Y"
    P3Y = "P3Y"


class BillingCycle(StrEnum):
    """How often the subscription is billed, Partner Center `billingCycle`."""

    MONTHLY = "monthly"
    ANNUAL = "annual"
    TRIENNIAL = "triennial"


class WizardStep(StrEnum):
    """The checkout wizard's steps, in the order the customer walks them."""

    CART = "cart"
    ACCOUNT = "account"
    COMPANY_PROFILE = "company_profile"
    PARTNER_RELATIONSHIP = "partner_relationship"
    PARTNER_OF_RECORD = "partner_of_record"
    TENANT_DOMAIN = "tenant_domain"
    TENANT_SIGN_IN = "tenant_sign_in"
    MCA = "mca"
    QUALIFICATION = "qualification"
    REVIEW = "review"


class AbandonReason(StrEnum):
    """Why a draft ended without an order."""

    EXPIRED = "expired"
    CANCELLED = "cancelled"


class FulfilmentStep(StrEnum):
    """The fulfilment saga's steps in Partner Center."""

    CUSTOMER_RESOLVED = "customer_resolved"
    CUSTOMER_CREATED = "customer_created"
    RELATIONSHIP_VERIFIED = "relationship_verified"
    MCA_ATTESTED = "mca_attested"
    QUALIFICATION_ADDED = "qualification_added"
    CART_CREATED = "cart_created"
    CHECKED_OUT = "checked_out"


class ErrorSource(StrEnum):
    """Who defined an `OrderFailed` code."""

    PARTNER_CENTER = "partner_center"
    NCEFLOW = "nceflow"


class ProvisioningStatus(StrEnum):
    """Partner Center's view of a placed order."""

    PENDING = "pending"
    COMPLETED = "completed"
