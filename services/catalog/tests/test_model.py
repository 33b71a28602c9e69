"""NCE rules the domain model enforces."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from nceflow.catalog.domain.model import ServicePlan, plan_id_for
from nceflow.schemas.values import BillingCycle, Term


def _plan(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "id": "cfq7ttc0lh18-0001-p1y-monthly-us",
        "tile_id": "nce-microsoft-365-commercial",
        "product_id": "CFQ7TTC0LH18",
        "sku_id": "0001",
        "availability_id": "DZH318Z0WZ0B",
        "title": "Microsoft 365 Business Basic",
        "term": "P1Y",
        "billing_cycle": "monthly",
        "unit_price": "6.30",
        "currency": "USD",
        "min_quantity": 1,
        "max_quantity": 300,
        "country": "US",
    }
    return fields | changes


def test_plan_exposes_catalog_item_id_and_price_as_string() -> None:
    plan = ServicePlan.model_validate(_plan())
    dumped = plan.model_dump(mode="json")
    assert dumped["catalog_item_id"] == "CFQ7TTC0LH18:0001:DZH318Z0WZ0B"
    assert dumped["unit_price"] == "6.30"
    assert plan.unit_price == Decimal("6.30")


def test_monthly_term_billed_annually_is_refused() -> None:
    with pytest.raises(ValidationError, match="P1M is not sold with annual billing"):
        ServicePlan.model_validate(
            _plan(id="cfq7ttc0lh18-0001-p1m-annual-us", term="P1M", billing_cycle="annual")
        )


def test_triennial_billing_only_for_three_year_terms() -> None:
    with pytest.raises(ValidationError, match="triennial"):
        ServicePlan.model_validate(
            _plan(id="cfq7ttc0lh18-0001-p1y-triennial-us", billing_cycle="triennial")
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"unit_price": "0"},
        {"unit_price": "-1.00"},
        {"min_quantity": 10, "max_quantity": 5},
        {"id": "some-other-id"},
        {"currency": "usd"},
    ],
)
def test_invalid_plans_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ServicePlan.model_validate(_plan(**changes))


def test_plan_id_is_url_safe_and_has_no_commas() -> None:
    plan_id = plan_id_for("CFQ7TTC0LH18", "0001", Term.P3Y, BillingCycle.TRIENNIAL, "US")
    assert plan_id == "cfq7ttc0lh18-0001-p3y-triennial-us"
