"""Catalogue → tiles → service plans, in Partner Center's shape.

A service plan is one sellable choice: a Partner Center catalog item (product, SKU, availability)
bought for one term and billed on one cycle, at the partner's price. The plan id is stable across
catalogue syncs (it leaves out the availability id, which Microsoft may replace), so carts and
drafts that hold a plan id keep working after a sync.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

# The contract's own value types: a plan's term and billing cycle are the ones the events carry.
from nceflow.schemas.values import BillingCycle, Term

# URL-safe, no commas (the batch endpoint splits `ids` on commas), lower case.
PLAN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,127}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
# Partner Center ids are upper-case alphanumerics (products `CFQ7TTC0LH18`, SKUs `0001`).
PC_ID_PATTERN = r"^[A-Za-z0-9]{1,32}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


# NCE rules: a monthly term is billed monthly only; triennial billing exists only for 3-year terms.
LEGAL_BILLING_CYCLES: dict[Term, frozenset[BillingCycle]] = {
    Term.P1M: frozenset({BillingCycle.MONTHLY}),
    Term.P1Y: frozenset({BillingCycle.MONTHLY, BillingCycle.ANNUAL}),
    Term.P3Y: frozenset({BillingCycle.MONTHLY, BillingCycle.ANNUAL, BillingCycle.TRIENNIAL}),
}

# Display order of terms and billing cycles within one SKU.
TERM_ORDER = {term: rank for rank, term in enumerate(Term)}
BILLING_CYCLE_ORDER = {cycle: rank for rank, cycle in enumerate(BillingCycle)}


def is_legal_pair(term: Term, billing_cycle: BillingCycle) -> bool:
    """Whether NCE sells `term` billed on `billing_cycle`."""
    return billing_cycle in LEGAL_BILLING_CYCLES[term]


def plan_id_for(
    product_id: str, sku_id: str, term: Term, billing_cycle: BillingCycle, country: str
) -> str:
    """The stable, URL-safe id of a plan: everything that identifies it except the availability."""
    raw = f"{product_id}-{sku_id}-{term.value}-{billing_cycle.value}-{country}"
    return re.sub(r"[^a-z0-9-]", "-", raw.lower())


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Catalogue(_Frozen):
    """A catalogue the marketplace shows, such as "Microsoft NCE Catalogue"."""

    id: Annotated[str, Field(pattern=SLUG_PATTERN, examples=["microsoft-nce"])]
    name: Annotated[str, Field(min_length=1, examples=["Microsoft NCE Catalogue"])]
    description: str = ""


class Tile(_Frozen):
    """A group of related products shown as one tile, such as "NCE Microsoft 365 (Commercial)"."""

    id: Annotated[str, Field(pattern=SLUG_PATTERN, examples=["nce-microsoft-365-commercial"])]
    catalogue_id: Annotated[str, Field(pattern=SLUG_PATTERN)]
    name: Annotated[str, Field(min_length=1, examples=["NCE Microsoft 365 (Commercial)"])]
    description: str = ""
    product_ids: Annotated[
        tuple[Annotated[str, Field(pattern=PC_ID_PATTERN)], ...],
        Field(min_length=1, description="Partner Center product ids, in display order"),
    ]


class ServicePlan(_Frozen):
    """One sellable choice: a catalog item for one term and billing cycle at the partner's price."""

    id: Annotated[
        str,
        Field(
            pattern=PLAN_ID_PATTERN,
            description="Stable plan id (URL-safe, no commas); survives catalogue syncs",
            examples=["cfq7ttc0lh18-0001-p1y-monthly-us"],
        ),
    ]
    tile_id: Annotated[str, Field(pattern=SLUG_PATTERN)]
    product_id: Annotated[str, Field(pattern=PC_ID_PATTERN, examples=["CFQ7TTC0LH18"])]
    sku_id: Annotated[str, Field(pattern=PC_ID_PATTERN, examples=["0001"])]
    availability_id: Annotated[str, Field(pattern=PC_ID_PATTERN, examples=["CFQ7TTC0K971"])]
    title: Annotated[str, Field(min_length=1, examples=["Microsoft 365 Business Basic"])]
    description: str = ""
    term: Term
    billing_cycle: BillingCycle
    unit_price: Annotated[
        Decimal,
        Field(
            gt=0,
            max_digits=12,
            decimal_places=4,
            description="Price per licence per billing period; a decimal string in JSON",
            examples=["6.00"],
        ),
    ]
    currency: Annotated[str, Field(pattern=CURRENCY_PATTERN, examples=["USD"])]
    min_quantity: Annotated[int, Field(ge=1)]
    max_quantity: Annotated[int, Field(ge=1)]
    country: Annotated[str, Field(pattern=COUNTRY_PATTERN, examples=["US"])]

    @computed_field(  # type: ignore[prop-decorator]
        description="Partner Center catalog item id, `productId:skuId:availabilityId`",
        examples=["CFQ7TTC0LH18:0001:CFQ7TTC0K971"],
    )
    @property
    def catalog_item_id(self) -> str:
        """What Partner Center's cart line item calls `catalogItemId`."""
        return f"{self.product_id}:{self.sku_id}:{self.availability_id}"

    @model_validator(mode="after")
    def _check_rules(self) -> Self:
        if not is_legal_pair(self.term, self.billing_cycle):
            raise ValueError(f"{self.term} is not sold with {self.billing_cycle} billing")
        if self.min_quantity > self.max_quantity:
            raise ValueError("min_quantity exceeds max_quantity")
        expected = plan_id_for(
            self.product_id, self.sku_id, self.term, self.billing_cycle, self.country
        )
        if self.id != expected:
            raise ValueError(f"plan id must be {expected!r}")
        return self


class CatalogueDocument(_Frozen):
    """A whole catalogue as shipped with the service or written by a sync."""

    catalogue: Catalogue
    tiles: tuple[Tile, ...]
    plans: tuple[ServicePlan, ...]
    synced_at: str | None = Field(
        default=None, description="When Partner Center was last read (ISO 8601); None if shipped"
    )

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        tile_ids = [tile.id for tile in self.tiles]
        if len(set(tile_ids)) != len(tile_ids):
            raise ValueError("duplicate tile ids")
        if any(tile.catalogue_id != self.catalogue.id for tile in self.tiles):
            raise ValueError("a tile belongs to another catalogue")
        plan_ids = [plan.id for plan in self.plans]
        if len(set(plan_ids)) != len(plan_ids):
            raise ValueError("duplicate plan ids")
        known_tiles = set(tile_ids)
        if any(plan.tile_id not in known_tiles for plan in self.plans):
            raise ValueError("a plan names an unknown tile")
        return self
