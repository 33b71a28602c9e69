"""The event models: type strings, invariants, JSON round trips, personal-data markers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from nceflow.schemas import (
    EVENT_CLASSES,
    ExistingTenant,
    OrderConfirmed,
    OrderItem,
    Reseller,
    SalesModel,
    StepCompleted,
)
from nceflow.schemas.examples import (
    ITEMS,
    example_events,
    order_confirmed_existing_indirect,
    order_confirmed_new_direct,
)


def _confirmed_with(**changes: Any) -> dict[str, Any]:
    data = order_confirmed_new_direct().model_dump()
    data.update(changes)
    return data


def test_event_types_are_derived_from_domain_class_and_version() -> None:
    assert sorted(EVENT_CLASSES) == [
        "com.nceflow.checkout.OrderAbandoned.v1",
        "com.nceflow.checkout.OrderConfirmed.v1",
        "com.nceflow.checkout.OrderDrafted.v1",
        "com.nceflow.checkout.StepCompleted.v1",
        "com.nceflow.fulfilment.FulfilmentStarted.v1",
        "com.nceflow.fulfilment.FulfilmentStepCompleted.v1",
        "com.nceflow.fulfilment.OrderFailed.v1",
        "com.nceflow.fulfilment.OrderPlaced.v1",
    ]


def test_examples_cover_every_event_type() -> None:
    assert {event.event_type() for event in example_events()} == set(EVENT_CLASSES)


@pytest.mark.parametrize("event", example_events(), ids=lambda e: e.event_type())
def test_json_round_trip_is_lossless(event: Any) -> None:
    again = type(event).model_validate_json(event.model_dump_json())
    assert again == event


def test_money_is_a_decimal_string_on_the_wire() -> None:
    wire = order_confirmed_new_direct().model_dump(mode="json")
    assert wire["items"][0]["unit_price"] == "6.00"
    assert wire["totals"] == {"USD": "116.40"}


def test_events_are_immutable() -> None:
    event = order_confirmed_new_direct()
    with pytest.raises(ValidationError, match="frozen"):
        event.order_id = "other"  # type: ignore[misc]


def test_a_misspelt_field_is_rejected_at_construction() -> None:
    with pytest.raises(ValidationError, match="idempotency_keys"):
        OrderConfirmed.model_validate(_confirmed_with(idempotency_keys="x"))


def test_indirect_sale_needs_partner_of_record_attestation() -> None:
    data = order_confirmed_existing_indirect().model_dump()
    data["partner_of_record"] = None
    with pytest.raises(ValidationError, match="partner_of_record"):
        OrderConfirmed.model_validate(data)


def test_direct_sale_rejects_partner_of_record_attestation() -> None:
    attestation = order_confirmed_existing_indirect().partner_of_record
    with pytest.raises(ValidationError, match="only to indirect"):
        OrderConfirmed.model_validate(_confirmed_with(partner_of_record=attestation))


def test_indirect_reseller_needs_provider_and_mpn_id() -> None:
    with pytest.raises(ValidationError, match="indirect_provider_partner_id"):
        Reseller(reseller_id="r", name="R", sales_model=SalesModel.INDIRECT, partner_id="p")


def test_transacting_partner_is_the_provider_in_indirect_sales() -> None:
    indirect = order_confirmed_existing_indirect().reseller
    direct = order_confirmed_new_direct().reseller
    assert indirect.transacting_partner_id == indirect.indirect_provider_partner_id
    assert direct.transacting_partner_id == direct.partner_id


def test_totals_must_equal_the_items() -> None:
    with pytest.raises(ValidationError, match="totals must equal"):
        OrderConfirmed.model_validate(_confirmed_with(totals={"USD": Decimal("1.00")}))


def test_catalog_item_id_must_be_product_sku_availability() -> None:
    data = ITEMS[0].model_dump()
    data["catalog_item_id"] = "CFQ7TTC0LH18:0002:CFQ7TTC0K5DM"
    with pytest.raises(ValidationError, match="product:sku:availability"):
        OrderItem.model_validate(data)


@pytest.mark.parametrize(("term", "cycle"), [("P1M", "annual"), ("P1Y", "triennial")])
def test_term_and_billing_cycle_must_fit(term: str, cycle: str) -> None:
    data = ITEMS[0].model_dump() | {"term": term, "billing_cycle": cycle}
    with pytest.raises(ValidationError):
        OrderItem.model_validate(data)


def test_tenant_is_discriminated_by_account_choice() -> None:
    event = OrderConfirmed.model_validate_json(
        order_confirmed_existing_indirect().model_dump_json()
    )
    assert isinstance(event.tenant, ExistingTenant)
    assert event.account == "existing"


def test_step_data_is_discriminated_by_step_id() -> None:
    wire = {
        "order_id": "o1",
        "correlation_id": "c1",
        "step": {"id": "qualification", "qualification": "state_owned_entity"},
    }
    event = StepCompleted.model_validate(wire)
    assert event.step.id == "qualification"
    with pytest.raises(ValidationError, match="qualification"):
        StepCompleted.model_validate(wire | {"step": {"id": "qualification"}})


def test_personal_data_is_marked_in_the_schema() -> None:
    schema = OrderConfirmed.model_json_schema()
    contact = schema["$defs"]["Contact"]["properties"]
    assert {name for name, prop in contact.items() if prop.get("x-pii")} == {
        "first_name",
        "last_name",
        "email",
        "phone",
    }
    assert "x-pii" not in schema["$defs"]["CompanyProfile"]["properties"]["company_name"]
