"""Response bodies of the catalog API; the plan itself is `domain.model.ServicePlan`.

Plan JSON, as checkout and the storefront read it::

    {"id": "cfq7ttc0lh18-0001-p1y-monthly-us", "tile_id": "nce-microsoft-365-commercial",
     "product_id": "CFQ7TTC0LH18", "sku_id": "0001", "availability_id": "CFQ7TTC0K971",
     "title": "Microsoft 365 Business Basic", "description": "…", "term": "P1Y",
     "billing_cycle": "monthly", "unit_price": "6.00", "currency": "USD",
     "min_quantity": 1, "max_quantity": 300, "country": "US",
     "catalog_item_id": "CFQ7TTC0LH18:0001:CFQ7TTC0K971"}
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from nceflow.catalog.domain.model import Catalogue, ServicePlan, Tile
from nceflow.runtime.problems import FieldError as FieldError  # the same in every service
from nceflow.runtime.problems import Problem as Problem


class CatalogueList(BaseModel):
    """`GET /v1/catalogues`."""

    items: list[Catalogue]


class TileList(BaseModel):
    """`GET /v1/catalogues/{id}/tiles`."""

    items: list[Tile]


class PlanPage(BaseModel):
    """`GET /v1/tiles/{id}/plans`: one page of plans; follow `next_cursor` while it is not null."""

    items: list[ServicePlan]
    next_cursor: str | None = Field(
        description="Opaque; pass as `cursor` to get the next page. Null on the last page."
    )


class PlanBatch(BaseModel):
    """`GET /v1/plans?ids=a,b,c`: the plans found, in request order, and the ids not found."""

    items: list[ServicePlan]
    missing: list[str] = Field(description="Requested ids that name no plan, in request order")
