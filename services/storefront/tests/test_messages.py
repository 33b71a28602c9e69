"""Every refusal a customer can meet in the wizard, in the storefront's words.

The refusals are the real ones: each step's input model of checkout validates bad and missing
values for each of its fields (the very models checkout's API validates with), and the rules
checkout enforces name their codes. No message may be validator text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from nceflow.checkout.api.forms import form_for
from nceflow.checkout.domain.draft import Draft, ResellerTerms
from nceflow.checkout.domain.steps import STEP_INPUTS, StepId
from nceflow.schemas.values import SalesModel
from nceflow.storefront.adapters.checkout_client import FormField
from nceflow.storefront.domain.messages import BY_CODE, BY_FIELD, field_key, message_for

VALIDATOR_WORDS = re.compile(
    r"Field required|String should|must be true|Input should|value is not|\^|\$|\[A-Z", re.I
)
# Checkout's rule refusals (`FieldProblem` codes): field and code as the API names them.
RULE_REFUSALS = [
    ("items[0].plan_id", "unknown_plan"),
    ("items[1].plan_id", "duplicate"),
    ("items[0].quantity", "quantity_out_of_range"),
    ("items", "mixed_currencies"),
    ("drafts", "limit_reached"),
    ("domain_prefix", "taken"),
    ("organization_registration_number", "required_for_country"),
    ("authorization_done", "not_accepted"),
    ("attestation_accepted", "not_accepted"),
    ("primary_domain", "unknown_tenant"),
    ("primary_domain", "reseller_not_linked"),
    ("code", "other_organisation"),
    ("code", "sign_in_refused"),
    ("state", "sign_in_expired"),
    ("accepted", "not_accepted"),
    ("terms_accepted", "not_accepted"),
]
# Values no field of the wizard accepts, of each JSON type.
BAD_VALUES: list[Any] = ["", "x" * 300, "@@not valid@@", -5, 10**9, "no", [], {"a": 1}]


def _draft() -> Draft:
    reseller = ResellerTerms(
        reseller_id="tailspin-indirect",
        name="Tailspin IT Services",
        sales_model=SalesModel.INDIRECT,
        partner_id="p",
        mpn_id="1",
        indirect_provider_partner_id="i",
        relationship_link="https://admin.microsoft.com/x",
        mca_link="https://aka.ms/customeragreement",
        terms_link="https://marketplace.example/terms",
    )
    now = datetime(2026, 12, 7, tzinfo=UTC)
    return Draft.start(
        draft_id="d",
        account_id="a",
        correlation_id="c",
        reseller=reseller,
        now=now,
        idle_timeout=timedelta(days=1),
    )


def _refusals_of(step: StepId) -> set[tuple[str, str]]:
    """(field path, code) of every error checkout's input model gives for bad or no values."""
    model = STEP_INPUTS[step]
    found: set[tuple[str, str]] = set()
    samples: list[dict[str, Any]] = [{}]
    for name in model.model_fields:
        samples += [{name: value} for value in BAD_VALUES]
    if step is StepId.CART:
        samples.append({"items": [{}]})
        samples += [{"items": [{"plan_id": "p", "quantity": v}]} for v in BAD_VALUES]
        samples += [{"items": [{"plan_id": v, "quantity": 1}]} for v in BAD_VALUES]
    for sample in samples:
        try:
            model.model_validate(sample)
        except ValidationError as exc:
            for error in exc.errors():
                found.add((".".join(str(p) for p in error["loc"]), error["type"]))
    return found


def _described(step: StepId) -> dict[str, FormField]:
    form = form_for(_draft(), step)
    fields: dict[str, FormField] = {}
    for f in form.fields:
        fields[f.name] = FormField.model_validate(f.model_dump())
        for item in f.item_fields or []:
            fields[item.name] = FormField.model_validate(item.model_dump())
    return fields


@pytest.mark.parametrize("step", list(StepId))
def test_every_invalid_input_of_every_step_has_a_message_naming_what_to_do(step: StepId) -> None:
    refusals = _refusals_of(step)
    if step is not StepId.REVIEW:
        assert refusals, "the bad values must be refused"
    fields = _described(step)
    for path, code in refusals:
        key = field_key(path)
        if key not in fields and key not in BY_FIELD:
            # An unknown property (extra_forbidden) is not something a form can send.
            assert code == "extra_forbidden", (path, code)
            continue
        text = message_for(path, code, fields.get(key))
        assert not VALIDATOR_WORDS.search(text), (path, code, text)
        assert text in BY_FIELD.values() or text in BY_CODE.values() or "too long" in text, (
            path,
            code,
            text,
        )


@pytest.mark.parametrize(("path", "code"), RULE_REFUSALS)
def test_every_rule_checkout_enforces_has_its_own_words(path: str, code: str) -> None:
    text = message_for(path, code)
    key = field_key(path)
    assert (key, code) in BY_CODE or key in BY_FIELD
    assert not VALIDATOR_WORDS.search(text)


def test_a_field_and_code_nobody_knows_gets_a_sentence_naming_the_field() -> None:
    label = FormField(name="fax", type="string", label="Fax number")
    assert message_for("fax", "made_up", label) == "Check Fax number and try again."
    assert message_for("body.tax_id", "made_up") == "Check Tax id and try again."


def test_too_long_says_the_limit_of_the_form() -> None:
    city = FormField(name="city", type="string", label="City", max_length=60)
    assert message_for("city", "string_too_long", city) == (
        "City is too long: use at most 60 characters."
    )


def test_list_positions_do_not_change_the_message() -> None:
    assert field_key("items[3].quantity") == field_key("items.3.quantity") == "quantity"
    assert message_for("items.0.quantity", "greater_than_equal") == BY_FIELD["quantity"]
