"""Form descriptions: everything a UI needs to render a step without knowing the wizard's rules.

Titles, labels and option texts use the seed walk-through's own words, since storefronts render
them as they are.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from nceflow.checkout.domain.draft import Draft
from nceflow.checkout.domain.steps import (
    COUNTRY_PATTERN,
    DOMAIN_PATTERN,
    DOMAIN_PREFIX_PATTERN,
    EMAIL_PATTERN,
    MAX_CART_ITEMS,
    MAX_QUANTITY,
    PHONE_PATTERN,
    PLAN_ID_PATTERN,
    REGISTRATION_NUMBER_PATTERN,
    STEP_ORDER,
    StepId,
)
from nceflow.partner_center.customer_rules import REGISTRATION_NUMBER_COUNTRIES


class FieldType(StrEnum):
    """How a field is entered."""

    STRING = "string"
    EMAIL = "email"
    PHONE = "phone"
    DOMAIN = "domain"
    COUNTRY = "country"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    LIST = "list"


class _Form(BaseModel):
    model_config = ConfigDict(frozen=True)


class Link(_Form):
    """A page the customer may need to open, such as the relationship or MCA page."""

    rel: str = Field(description="What the link is for: relationship, mca, terms")
    href: str
    text: str = Field(description="The link's text, e.g. `here`")


class Option(_Form):
    """One allowed value of a choice field."""

    value: str
    label: str


class FormField(_Form):
    """One input of a step."""

    name: str
    type: FieldType
    label: str
    required: bool = True
    options: list[Option] | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    item_fields: list[FormField] | None = Field(
        default=None, description="For list fields: the fields of one entry"
    )
    help: str | None = None
    links: list[Link] = Field(default_factory=list)
    value: Any = Field(default=None, description="What is saved now (to edit a done step)")


class Submit(_Form):
    """How to send the form."""

    label: str
    method: str
    href: str


class SummaryEntry(_Form):
    """One answer the customer gave, labelled as the step's form labels it."""

    label: str
    value: str


class SummarySection(_Form):
    """The answers of one done step, for the Review Order screen."""

    step: StepId
    title: str
    entries: list[SummaryEntry]


class Form(_Form):
    """The form of one step."""

    step: StepId
    title: str
    description: str
    fields: list[FormField]
    links: list[Link] = Field(default_factory=list)
    submit: Submit
    summary: list[SummarySection] | None = Field(
        default=None,
        description="Review Order only: the answers of every done step, read-only, in the "
        "wizard's order and words (the cart is in the draft's `cart`)",
    )


STEP_TITLES: dict[StepId, str] = {
    StepId.CART: "Cart",
    StepId.ACCOUNT: "Microsoft CSP account",
    StepId.COMPANY_PROFILE: "Company profile",
    StepId.PARTNER_RELATIONSHIP: "Partner relationship",
    StepId.PARTNER_OF_RECORD: "Partner of Record Attestation",
    StepId.TENANT_DOMAIN: "Primary domain",
    StepId.TENANT_SIGN_IN: "Sign in with Microsoft",
    StepId.MCA: "MCA Acceptance",
    StepId.QUALIFICATION: "Qualification",
    StepId.REVIEW: "Review Order",
}

_YES_NO = [Option(value="yes", label="Yes"), Option(value="no", label="No")]


def _text(
    name: str, label: str, max_length: int, *, required: bool = True, **extra: Any
) -> FormField:
    return FormField(
        name=name,
        type=FieldType.STRING,
        label=label,
        required=required,
        min_length=1 if required else None,
        max_length=max_length,
        **extra,
    )


def _contact_fields() -> list[FormField]:
    return [
        _text("first_name", "First name", 100),
        _text("last_name", "Last name", 100),
        FormField(
            name="email", type=FieldType.EMAIL, label="Email", max_length=254, pattern=EMAIL_PATTERN
        ),
        FormField(
            name="phone", type=FieldType.PHONE, label="Phone", max_length=30, pattern=PHONE_PATTERN
        ),
    ]


def form_of(draft: Draft, step: StepId | None = None) -> Form | None:
    """The form a UI shows: of `step` when asked (to edit a done step), else of the current step.

    Only the current step and done steps have a form to show; any other step is refused like
    saving it would be (`StepOutOfOrder` naming the current step, or `DraftClosed`).
    """
    if step is None:
        current = draft.current_step
        return form_for(draft, current) if current is not None else None
    draft.ensure_editable(step)
    return form_for(draft, step)


def form_for(draft: Draft, step: StepId) -> Form:
    """The form of `step` for `draft`, with the values saved so far."""
    reseller = draft.reseller
    relationship = Link(rel="relationship", href=reseller.relationship_link, text="here")
    mca = Link(rel="mca", href=reseller.mca_link, text="here")
    terms = Link(rel="terms", href=reseller.terms_link, text="Terms of Service")
    submit = Submit(label="Next", method="PUT", href=f"/v1/drafts/{draft.id}/steps/{step.value}")
    links: list[Link] = []
    match step:
        case StepId.CART:
            description = "Review your order and click Next."
            fields = [
                FormField(
                    name="items",
                    type=FieldType.LIST,
                    label="Service plans",
                    min_items=1,
                    max_items=MAX_CART_ITEMS,
                    item_fields=[
                        FormField(
                            name="plan_id",
                            type=FieldType.STRING,
                            label="Service plan",
                            pattern=PLAN_ID_PATTERN,
                        ),
                        FormField(
                            name="quantity",
                            type=FieldType.INTEGER,
                            label="Quantity",
                            minimum=1,
                            maximum=MAX_QUANTITY,
                            help="Each plan states its own minimum and maximum quantity.",
                        ),
                    ],
                )
            ]
        case StepId.ACCOUNT:
            description = (
                "You can choose to create a new Microsoft CSP account or use an existing "
                "Microsoft CSP account."
            )
            existing = "Use an existing Microsoft CSP account"
            if draft.bound_tenant is not None:
                domain = draft.bound_tenant.primary_domain
                description += f" Your Microsoft CSP account: {domain}."
                existing = f"Use your Microsoft CSP account: {domain}"
            fields = [
                FormField(
                    name="kind",
                    type=FieldType.CHOICE,
                    label="Microsoft CSP account",
                    options=[
                        Option(value="new", label="Create a new Microsoft CSP account"),
                        Option(value="existing", label=existing),
                    ],
                )
            ]
        case StepId.COMPANY_PROFILE:
            description = "Tell us about the company the new Microsoft CSP account is for."
            fields = [
                _text("company_name", "Company name", 100),
                _text("address_line1", "Address line 1", 100),
                _text("address_line2", "Address line 2", 100, required=False),
                _text("city", "City", 60),
                _text("state", "State or province", 60, required=False),
                _text("postal_code", "Postal code", 20),
                FormField(
                    name="country",
                    type=FieldType.COUNTRY,
                    label="Country",
                    pattern=COUNTRY_PATTERN,
                    help="Two-letter ISO country code, e.g. US",
                ),
                _text(
                    "organization_registration_number",
                    "Organization registration number",
                    50,
                    required=False,
                    pattern=REGISTRATION_NUMBER_PATTERN,
                    help=(
                        "Microsoft requires it for companies in "
                        + ", ".join(sorted(REGISTRATION_NUMBER_COUNTRIES))
                        + "; leave it empty elsewhere."
                    ),
                ),
                *_contact_fields(),
                FormField(
                    name="domain_prefix",
                    type=FieldType.STRING,
                    label="Domain prefix",
                    max_length=27,
                    pattern=DOMAIN_PREFIX_PATTERN,
                    help="Letters and digits; the new domain is <prefix>.onmicrosoft.com.",
                ),
            ]
        case StepId.PARTNER_RELATIONSHIP:
            description = (
                "You have not established a relationship with the partner yet. Click the here "
                "link to go to the Microsoft control panel for customers and accept the partner "
                "relationship. Then return to the purchase wizard and set the field Confirm if the "
                "customer partner authorization is done to Yes."
            )
            links = [relationship]
            fields = [
                FormField(
                    name="authorization_done",
                    type=FieldType.CHOICE,
                    label="Confirm if the customer partner authorization is done",
                    options=_YES_NO,
                    links=[relationship],
                )
            ]
        case StepId.PARTNER_OF_RECORD:
            partner = reseller.mpn_id or reseller.partner_id
            description = (
                f"Confirm that {reseller.name} (partner id {partner}) is the Partner of Record "
                "for this order."
            )
            fields = [
                FormField(
                    name="attestation_accepted",
                    type=FieldType.BOOLEAN,
                    label="Partner of Record Attestation",
                )
            ]
        case StepId.TENANT_DOMAIN:
            description = "Enter the primary domain name of the existing Microsoft CSP account."
            fields = [
                FormField(
                    name="primary_domain",
                    type=FieldType.DOMAIN,
                    label="Primary domain name",
                    max_length=253,
                    pattern=DOMAIN_PATTERN,
                    help="For example contoso.onmicrosoft.com",
                )
            ]
        case StepId.TENANT_SIGN_IN:
            domain = draft.tenant_domain.primary_domain if draft.tenant_domain else ""
            description = (
                f"To order for {domain}, sign in with a Microsoft work account of that "
                "organisation. Microsoft tells us only which organisation you belong to; "
                "your password stays with Microsoft."
            )
            sign_in = f"/v1/drafts/{draft.id}/microsoft-sign-in"
            links = [Link(rel="microsoft_sign_in", href=sign_in, text="Sign in with Microsoft")]
            submit = Submit(label="Sign in with Microsoft", method="POST", href=sign_in)
            fields = []
        case StepId.MCA:
            description = (
                "Confirm that you have accepted the Microsoft Customer Agreement by selecting Yes. "
                "If you have not accepted the agreement yet, click the here link below the MCA "
                "Acceptance field and accept the agreement first."
            )
            links = [mca]
            fields = [
                FormField(
                    name="accepted",
                    type=FieldType.CHOICE,
                    label="MCA Acceptance",
                    options=_YES_NO,
                    links=[mca],
                ),
                *_contact_fields(),
            ]
        case StepId.QUALIFICATION:
            description = (
                "Specify if the customer is qualified as a state-owned entity. If this is the "
                "case, select the State Owned Entity option. Otherwise, select None."
            )
            fields = [
                FormField(
                    name="qualification",
                    type=FieldType.CHOICE,
                    label="Qualification",
                    options=[
                        Option(value="state_owned_entity", label="State Owned Entity"),
                        Option(value="none", label="None"),
                    ],
                )
            ]
        case StepId.REVIEW:
            description = (
                "Review your order and read the Terms of Service, select the checkbox to confirm "
                "that you agree to the terms, then click Buy to place the order."
            )
            links = [terms]
            submit = Submit(label="Buy", method="POST", href=f"/v1/drafts/{draft.id}/confirm")
            fields = [
                FormField(
                    name="terms_accepted",
                    type=FieldType.BOOLEAN,
                    label="I agree to the Terms of Service",
                    links=[terms],
                )
            ]
    return Form(
        step=step,
        title=STEP_TITLES[step],
        description=description,
        fields=[_with_value(field, draft, step) for field in fields],
        links=links,
        submit=submit,
        summary=review_summary(draft) if step is StepId.REVIEW else None,
    )


def review_summary(draft: Draft) -> list[SummarySection]:
    """Every done step's answers, labelled with its own form's labels and option texts.

    The cart is left out (the review shows it priced) and so is the review itself. Personal data
    is included: the summary goes only to the customer who entered it.
    """
    sections = []
    for step in STEP_ORDER:
        if step is StepId.MCA and draft.applies(step) is False:
            sections.extend(_mca_on_record(draft))
            continue
        if step in (StepId.CART, StepId.REVIEW) or not draft.is_done(step):
            continue
        form = form_for(draft, step)
        entries = [
            SummaryEntry(label=label, value=text)
            for field in form.fields
            for label, text in [_summary_entry(field)]
            if text
        ]
        if step is StepId.TENANT_SIGN_IN and draft.tenant_sign_in is not None:
            entries.append(SummaryEntry(label="Signed in as", value=draft.tenant_sign_in.username))
        if step is StepId.MCA and draft.mca is not None:
            entries.append(
                SummaryEntry(label="Date agreed", value=draft.mca.date_agreed.date().isoformat())
            )
        sections.append(SummarySection(step=step, title=form.title, entries=entries))
    return sections


def _mca_on_record(draft: Draft) -> list[SummarySection]:
    """The MCA acceptance an earlier order of this account put on record (not asked again)."""
    mca = draft.mca_acceptance
    if mca is None:
        return []
    entries = [
        SummaryEntry(label="MCA Acceptance", value="On record for your Microsoft CSP account"),
        SummaryEntry(label="Accepted by", value=f"{mca.first_name} {mca.last_name}"),
        SummaryEntry(label="Date agreed", value=mca.date_agreed.date().isoformat()),
    ]
    return [SummarySection(step=StepId.MCA, title=STEP_TITLES[StepId.MCA], entries=entries)]


def _summary_entry(field: FormField) -> tuple[str, str]:
    value = field.value
    if value is None:
        return field.label, ""
    if field.options:
        chosen = next((o.label for o in field.options if o.value == value), str(value))
        return field.label, chosen
    if field.type is FieldType.BOOLEAN:
        return field.label, _YES_NO[0].label if value else _YES_NO[1].label
    if field.name == "domain_prefix":
        # The customer typed the prefix; what the new tenant gets is the whole domain.
        return "Domain", f"{value}.onmicrosoft.com"
    return field.label, str(value)


def _with_value(field: FormField, draft: Draft, step: StepId) -> FormField:
    saved = draft.data_of(step)
    if saved is None:
        return field
    if step is StepId.CART and draft.cart is not None:
        value: Any = [
            {"plan_id": line.plan_id, "quantity": line.quantity} for line in draft.cart.lines
        ]
    else:
        value = saved.model_dump(mode="json").get(field.name)
    return field.model_copy(update={"value": value})
