"""The catalog service as the storefront reads it: catalogues, tiles, plans."""

from __future__ import annotations

from decimal import Decimal

import httpx
from pydantic import BaseModel, ConfigDict

from nceflow.storefront.adapters.upstream import send

SERVICE = "catalog"


class _Read(BaseModel):
    # Fields the storefront does not show are ignored, so catalog can add fields freely.
    model_config = ConfigDict(frozen=True, extra="ignore")


class Catalogue(_Read):
    """A catalogue, such as "Microsoft NCE Catalogue"."""

    id: str
    name: str
    description: str = ""


class Tile(_Read):
    """A tile of a catalogue, such as "NCE Microsoft 365 (Commercial)"."""

    id: str
    catalogue_id: str
    name: str
    description: str = ""


class Plan(_Read):
    """A service plan the customer can add to the cart."""

    id: str
    tile_id: str
    title: str
    description: str = ""
    term: str
    billing_cycle: str
    unit_price: Decimal
    currency: str
    min_quantity: int
    max_quantity: int


class PlanPage(_Read):
    """One page of a tile's plans."""

    items: list[Plan]
    next_cursor: str | None = None


class PlanFilter(_Read):
    """What the customer narrowed a tile's plans to."""

    term: str | None = None
    billing_cycle: str | None = None
    q: str | None = None
    cursor: str | None = None


class CatalogClient:
    """Typed calls to the catalog API."""

    def __init__(self, http: httpx.AsyncClient, market: str) -> None:
        self._http = http
        self._market = market

    async def catalogues(self) -> list[Catalogue]:
        """Every catalogue of the marketplace."""
        response = await send(self._http, SERVICE, "GET", "/v1/catalogues")
        return [Catalogue.model_validate(item) for item in response.json()["items"]]

    async def catalogue(self, catalogue_id: str) -> Catalogue | None:
        """One catalogue by id, or None."""
        return next((c for c in await self.catalogues() if c.id == catalogue_id), None)

    async def tiles(self, catalogue_id: str) -> list[Tile]:
        """The tiles of a catalogue, in display order."""
        response = await send(self._http, SERVICE, "GET", f"/v1/catalogues/{catalogue_id}/tiles")
        return [Tile.model_validate(item) for item in response.json()["items"]]

    async def tile(self, tile_id: str) -> Tile:
        """One tile."""
        response = await send(self._http, SERVICE, "GET", f"/v1/tiles/{tile_id}")
        return Tile.model_validate(response.json())

    async def plans(self, tile_id: str, plan_filter: PlanFilter, limit: int = 50) -> PlanPage:
        """A page of the tile's plans in this storefront's market."""
        params = {"country": self._market, "limit": str(limit)}
        params.update(
            {k: v for k, v in plan_filter.model_dump(exclude_none=True).items() if v != ""}
        )
        response = await send(
            self._http, SERVICE, "GET", f"/v1/tiles/{tile_id}/plans", params=params
        )
        return PlanPage.model_validate(response.json())

    async def plans_by_id(self, plan_ids: list[str]) -> dict[str, Plan]:
        """The named plans that exist, by id (one batch call)."""
        if not plan_ids:
            return {}
        response = await send(
            self._http, SERVICE, "GET", "/v1/plans", params={"ids": ",".join(plan_ids)}
        )
        return {p.id: p for p in (Plan.model_validate(i) for i in response.json()["items"])}
