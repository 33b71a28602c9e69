"""From checkout's form descriptions to JSON bodies, and its field errors back to the inputs."""

from __future__ import annotations

from nceflow.storefront.adapters.checkout_client import FormField, Option
from nceflow.storefront.api.errors import FieldError
from nceflow.storefront.domain.messages import BY_CODE, BY_FIELD
from nceflow.storefront.domain.step_forms import body_of, place_errors

CART_ITEMS = FormField(
    name="items",
    type="list",
    label="Service plans",
    item_fields=[
        FormField(name="plan_id", type="string", label="Service plan"),
        FormField(name="quantity", type="integer", label="Quantity"),
    ],
)


def test_values_are_typed_as_the_description_says() -> None:
    fields = [
        FormField(name="company_name", type="string", label="Company name"),
        FormField(name="country", type="country", label="Country"),
        FormField(name="attestation_accepted", type="boolean", label="Partner of Record"),
        FormField(name="terms_accepted", type="boolean", label="Terms"),
        FormField(
            name="kind",
            type="choice",
            label="Account",
            options=[Option(value="new", label="New"), Option(value="existing", label="Old")],
        ),
    ]
    submitted = {
        "company_name": ["  Contoso  "],
        "country": ["us"],
        "attestation_accepted": ["true"],
        "kind": ["existing"],
        "csrf_token": ["ignored"],
    }
    assert body_of(fields, submitted) == {
        "company_name": "Contoso",
        "country": "US",
        "attestation_accepted": True,
        "terms_accepted": False,  # an unticked checkbox is not posted at all
        "kind": "existing",
    }


def test_an_unanswered_choice_and_an_empty_optional_field_are_left_out() -> None:
    fields = [
        FormField(name="kind", type="choice", label="Account", options=[]),
        FormField(name="address_line2", type="string", label="Line 2", required=False),
        FormField(name="city", type="string", label="City"),
    ]
    body = body_of(fields, {"address_line2": [""], "city": [""]})
    assert body == {"city": ""}  # checkout, not the storefront, says a city is required


def test_list_entries_come_back_in_index_order_with_typed_values() -> None:
    submitted = {
        "items-1-plan_id": ["b"],
        "items-1-quantity": ["2"],
        "items-0-plan_id": ["a"],
        "items-0-quantity": ["five"],
        "items-0-unknown": ["x"],
    }
    assert body_of([CART_ITEMS], submitted) == {
        "items": [{"plan_id": "a", "quantity": "five"}, {"plan_id": "b", "quantity": 2}]
    }


def test_errors_land_next_to_the_inputs_they_name() -> None:
    fields = [CART_ITEMS, FormField(name="primary_domain", type="domain", label="Domain")]
    placed = place_errors(
        fields,
        [
            FieldError("items[1].quantity", "sold from 1 to 300", "quantity_out_of_range"),
            FieldError("items.0.plan_id", "no such plan", "unknown_plan"),
            FieldError("primary_domain", "String should match pattern '^(...)$'", "missing"),
            FieldError("If-Match", "stale", "invalid"),
        ],
    )
    # In the storefront's words, never checkout's `reason` (for developers).
    assert placed.of("items-1-quantity") == [BY_CODE["quantity", "quantity_out_of_range"]]
    assert placed.of("items-0-plan_id") == [BY_CODE["plan_id", "unknown_plan"]]
    assert placed.of("primary_domain") == [BY_FIELD["primary_domain"]]
    assert placed.unplaced == ["Check If-Match and try again."]
    assert placed.summary()[-1] == (None, "Check If-Match and try again.")
