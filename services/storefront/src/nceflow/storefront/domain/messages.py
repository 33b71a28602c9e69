"""What a customer reads when a step is refused: the storefront's own words, by field and code.

Checkout's 422 names each field and gives a machine-readable `code` (pydantic's error type for
invalid input, checkout's own for a rule); its `reason` is for developers and never shown. Each
message says which field and what to do, in the seed's tone. A code this table does not know
falls back to the field's own sentence, and a field it does not know to a sentence naming the
field's label: never to validator text.
"""

from __future__ import annotations

from nceflow.storefront.adapters.checkout_client import FormField

# A specific refusal of one field.
BY_CODE: dict[tuple[str, str], str] = {
    ("quantity", "quantity_out_of_range"): (
        "Enter a quantity this plan is sold in: check its minimum and maximum in the catalogue."
    ),
    ("plan_id", "unknown_plan"): "This plan is no longer sold. Remove it from the cart.",
    ("plan_id", "duplicate"): "This plan is in the cart twice. Change its quantity instead.",
    ("items", "mixed_currencies"): (
        "The plans in the cart are priced in different currencies. Buy them in separate orders."
    ),
    ("domain_prefix", "taken"): "That domain is taken. Choose another domain prefix.",
    ("organization_registration_number", "required_for_country"): (
        "Microsoft needs your company's registration number for a company in this country. "
        "Enter it as it appears on your registration."
    ),
    ("drafts", "limit_reached"): (
        "You have too many orders in progress. Finish or cancel one of them, then start again."
    ),
    ("primary_domain", "unknown_tenant"): (
        "We found no Microsoft customer with this domain for your reseller. Check the domain, "
        "or accept the partner relationship first."
    ),
    ("primary_domain", "reseller_not_linked"): (
        "Your Microsoft account is not linked to this reseller yet. Ask your global "
        "administrator to accept the reseller's relationship with the link, then try again."
    ),
    ("code", "other_organisation"): (
        "You signed in with an account of another organisation. Sign in with a work account "
        "of the organisation you order for."
    ),
    ("code", "sign_in_refused"): "Microsoft did not confirm the sign-in. Sign in again.",
    ("state", "sign_in_expired"): (
        "The sign-in took too long or was started in another window. Sign in again."
    ),
}

# What to do about a field, whatever was wrong with it (missing, badly formed...).
BY_FIELD: dict[str, str] = {
    "items": "Add at least one plan to the cart.",
    "plan_id": "Choose a plan from the catalogue.",
    "quantity": "Enter a number of licences, 1 or more.",
    "kind": "Choose whether to create a new Microsoft CSP account or use an existing one.",
    "company_name": "Enter your company's name.",
    "address_line1": "Enter the first line of the company's address.",
    "address_line2": "Enter the second line of the address, or leave it empty.",
    "city": "Enter the city.",
    "state": "Enter the state or province, or leave it empty.",
    "postal_code": "Enter the postal code.",
    "country": "Enter the country as its two-letter code, like US.",
    "organization_registration_number": (
        "Enter the company's registration number in letters and digits, or leave it empty."
    ),
    "first_name": "Enter the first name.",
    "last_name": "Enter the last name.",
    "email": "Enter an email address, like ada@contoso.com.",
    "phone": "Enter a phone number, like +1 425 555 0100.",
    "domain_prefix": "Enter a domain prefix of up to 27 letters and digits, like contoso.",
    "authorization_done": (
        "Accept the partner relationship with the link, then choose Yes to confirm it."
    ),
    "attestation_accepted": "Tick the box to confirm the Partner of Record Attestation.",
    "primary_domain": "Enter your company's domain, like contoso.onmicrosoft.com.",
    "accepted": (
        "Accept the Microsoft Customer Agreement with the link, then choose Yes to confirm it."
    ),
    "qualification": "Choose State Owned Entity or None.",
    "terms_accepted": "Tick the box to agree to the Terms of Service.",
    "code": "Sign in with Microsoft again.",
}

# Codes about length: the message says the limit the form description gives.
_TOO_LONG = {"string_too_long", "too_long"}


# Above the list of refused fields: the fields' own messages say what to do.
SUMMARY = "There is a problem with your answers. Correct them to continue."


def field_key(path: str) -> str:
    """The field a checkout error path names, without list positions: `items[0].quantity` and
    `items.0.quantity` are `quantity`, `body.email` is `email`."""
    parts = [p for p in path.replace("[", ".").replace("]", "").split(".") if p]
    named = [p for p in parts if not p.isdigit() and p != "body"]
    return named[-1] if named else path


def message_for(path: str, code: str, form_field: FormField | None = None) -> str:
    """The sentence a customer reads for checkout's error on `path` with `code`."""
    key = field_key(path)
    known = BY_CODE.get((key, code))
    if known is not None:
        return known
    spoken = key.replace("_", " ")
    label = form_field.label if form_field is not None else spoken[:1].upper() + spoken[1:]
    if code in _TOO_LONG and form_field is not None and form_field.max_length:
        return f"{label} is too long: use at most {form_field.max_length} characters."
    return BY_FIELD.get(key) or f"Check {label} and try again."
