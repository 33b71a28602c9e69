"""The wizard's steps, in the seed's order, and the data each one takes.

The input models bound every string and number, so that they double as the API's request bodies
and as the JSON stored with the draft.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# The contract's value types: the wizard's steps and answers are the ones its events carry.
from nceflow.schemas.values import AccountChoice, Qualification, WizardStep

# What the catalog accepts as a plan id (lower case, URL-safe, no commas).
PLAN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,127}$"
# The prefix of `<prefix>.onmicrosoft.com`: Microsoft allows letters and digits only, 27 at most.
DOMAIN_PREFIX_PATTERN = r"^[A-Za-z0-9]{1,27}$"
# A DNS name with at least two labels, each 1-63 letters, digits or inner hyphens.
DOMAIN_PATTERN = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
# Loose before the @ (the address is only stored and passed on; Partner Center checks it again),
# but after it a DNS name as DOMAIN_PATTERN has it: "ada@..com" or "ada@contoso" is a typo.
EMAIL_PATTERN = r"^[^@\s]{1,64}@" + DOMAIN_PATTERN.removeprefix("^")
PHONE_PATTERN = r"^\+?[0-9 ()./-]{4,30}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
# A company registration number as written (letters, digits, separators), or nothing.
REGISTRATION_NUMBER_PATTERN = r"^([A-Za-z0-9]([A-Za-z0-9 ./-]{0,48}[A-Za-z0-9])?)?$"
# The `state` of a Microsoft sign-in: what checkout issued (URL-safe base64), nothing else.
SIGN_IN_STATE_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"
MAX_CART_ITEMS = 20
MAX_QUANTITY = 100_000


StepId = WizardStep
"""Step ids, in the order the wizard walks them (seed steps 4 to 12): the contract's own."""


STEP_ORDER: tuple[StepId, ...] = tuple(StepId)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=EMAIL_PATTERN)
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=PHONE_PATTERN)]
YesNo = Literal["yes", "no"]


class StepInput(BaseModel):
    """Base of every step's data: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CartItemInput(StepInput):
    """One line of the cart as the customer asks for it."""

    plan_id: Annotated[
        str, Field(pattern=PLAN_ID_PATTERN, examples=["cfq7ttc0lh18-0001-p1y-monthly-us"])
    ]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY, description="Number of licences")]


class CartInput(StepInput):
    """`cart`: the plans and quantities (seed steps 3-4)."""

    items: Annotated[list[CartItemInput], Field(min_length=1, max_length=MAX_CART_ITEMS)]


AccountKind = AccountChoice
"""Seed step 5: a new Microsoft account (tenant) or an existing one (the contract's values)."""


class AccountInput(StepInput):
    """`account`: create a new Microsoft CSP account or use an existing one (seed steps 5-6)."""

    kind: AccountKind


class CompanyProfileInput(StepInput):
    """`company_profile` (new accounts): the company, its address and contact, its domain prefix."""

    company_name: Name
    address_line1: Name
    address_line2: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    city: ShortText
    state: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] = ""
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
    ]
    country: Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)] = Field(
        description="ISO 3166-1 alpha-2 code", examples=["US"]
    )
    first_name: Name
    last_name: Name
    email: Email
    phone: Phone
    organization_registration_number: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, max_length=50, pattern=REGISTRATION_NUMBER_PATTERN
        ),
    ] = Field(
        default="",
        description="Required by Microsoft for companies in some countries ('Create a customer')",
    )
    domain_prefix: Annotated[
        str, StringConstraints(to_lower=True, pattern=DOMAIN_PREFIX_PATTERN)
    ] = Field(description="The new tenant's domain is `<domain_prefix>.onmicrosoft.com`")


class PartnerRelationshipInput(StepInput):
    """`partner_relationship`: the customer accepted the reseller relationship (seed step 7)."""

    authorization_done: YesNo


class PartnerOfRecordInput(StepInput):
    """`partner_of_record` (indirect sales): the Partner of Record attestation (seed step 8)."""

    attestation_accepted: bool


class TenantDomainInput(StepInput):
    """`tenant_domain` (existing accounts): the existing tenant's primary domain (seed step 9)."""

    primary_domain: Annotated[
        str, StringConstraints(to_lower=True, max_length=253, pattern=DOMAIN_PATTERN)
    ]


class TenantSignInInput(StepInput):
    """`tenant_sign_in` (an existing tenant not yet this account's): what Microsoft's sign-in
    page sent back to the redirect URI. Checkout redeems the code itself and checks that the
    signed-in user belongs to the tenant; nothing the customer types proves ownership."""

    code: Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^\S+$")]
    state: Annotated[str, StringConstraints(pattern=SIGN_IN_STATE_PATTERN)]


class McaInput(StepInput):
    """`mca`: the Microsoft Customer Agreement was accepted, and who accepted it (seed step 10)."""

    accepted: YesNo
    first_name: Name
    last_name: Name
    email: Email
    phone: Phone


class QualificationInput(StepInput):
    """`qualification`: State Owned Entity or None (seed step 11)."""

    qualification: Qualification


class ReviewInput(StepInput):
    """`review`: the customer read the summary and accepts the terms of service (seed step 12)."""

    terms_accepted: bool


STEP_INPUTS: dict[StepId, type[StepInput]] = {
    StepId.CART: CartInput,
    StepId.ACCOUNT: AccountInput,
    StepId.COMPANY_PROFILE: CompanyProfileInput,
    StepId.PARTNER_RELATIONSHIP: PartnerRelationshipInput,
    StepId.PARTNER_OF_RECORD: PartnerOfRecordInput,
    StepId.TENANT_DOMAIN: TenantDomainInput,
    StepId.TENANT_SIGN_IN: TenantSignInInput,
    StepId.MCA: McaInput,
    StepId.QUALIFICATION: QualificationInput,
    StepId.REVIEW: ReviewInput,
}
