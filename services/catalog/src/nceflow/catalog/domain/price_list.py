"""The partner's price list: what the marketplace charges per licence for each plan.

Partner Center says what can be bought; the partner decides the price. A catalog item that has
no price in the list is not sold on the marketplace.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nceflow.catalog.domain.model import (
    COUNTRY_PATTERN,
    CURRENCY_PATTERN,
    PC_ID_PATTERN,
    is_legal_pair,
)
from nceflow.schemas.values import BillingCycle, Term

PriceKey = tuple[str, str, Term, BillingCycle, str]


class Price(BaseModel):
    """The price of one product SKU for one term and billing cycle in one country."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: Annotated[str, Field(pattern=PC_ID_PATTERN)]
    sku_id: Annotated[str, Field(pattern=PC_ID_PATTERN)]
    term: Term
    billing_cycle: BillingCycle
    country: Annotated[str, Field(pattern=COUNTRY_PATTERN)]
    currency: Annotated[str, Field(pattern=CURRENCY_PATTERN)]
    unit_price: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=4)]

    @property
    def key(self) -> PriceKey:
        """What a plan is priced by."""
        return (self.product_id, self.sku_id, self.term, self.billing_cycle, self.country)

    @model_validator(mode="after")
    def _check_pair(self) -> Self:
        if not is_legal_pair(self.term, self.billing_cycle):
            raise ValueError(f"{self.term} is not sold with {self.billing_cycle} billing")
        return self


class PriceList(BaseModel):
    """All of the partner's prices; at most one per (product, SKU, term, billing cycle, country)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prices: tuple[Price, ...]

    @model_validator(mode="after")
    def _check_unique(self) -> Self:
        keys = [price.key for price in self.prices]
        if len(set(keys)) != len(keys):
            raise ValueError("a plan is priced twice")
        return self

    def index(self) -> dict[PriceKey, Price]:
        """The prices by key, for building a catalogue."""
        return {price.key: price for price in self.prices}
