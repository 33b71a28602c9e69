"""Build a catalogue from what Partner Center sells, the tile layout and the partner's prices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nceflow.catalog.domain.model import (
    BILLING_CYCLE_ORDER,
    TERM_ORDER,
    Catalogue,
    CatalogueDocument,
    ServicePlan,
    Tile,
    is_legal_pair,
    plan_id_for,
)
from nceflow.catalog.domain.price_list import PriceList
from nceflow.schemas.values import BillingCycle, Term


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One Partner Center availability of a SKU in one country, with the terms it is sold for."""

    product_id: str
    sku_id: str
    availability_id: str
    country: str
    title: str
    description: str
    min_quantity: int
    max_quantity: int
    terms: tuple[tuple[Term, BillingCycle], ...]


def build_catalogue(
    catalogue: Catalogue,
    tiles: Iterable[Tile],
    items: Iterable[CatalogItem],
    price_list: PriceList,
    *,
    synced_at: str | None = None,
) -> CatalogueDocument:
    """The plans of every tile: each priced term of each catalog item of the tile's products.

    Items of products on no tile, terms without a price and term/billing pairs NCE does not sell
    are left out. When Partner Center lists one SKU under several availabilities, the first one
    listed wins, so that a plan id names exactly one catalog item.
    """
    tiles = tuple(tiles)
    tile_of_product = {pid: tile.id for tile in tiles for pid in tile.product_ids}
    tile_rank = {tile.id: rank for rank, tile in enumerate(tiles)}
    product_rank = {pid: rank for tile in tiles for rank, pid in enumerate(tile.product_ids)}
    prices = price_list.index()
    plans: dict[str, ServicePlan] = {}
    for item in items:
        tile_id = tile_of_product.get(item.product_id)
        if tile_id is None:
            continue
        for term, cycle in item.terms:
            price = prices.get((item.product_id, item.sku_id, term, cycle, item.country))
            if price is None or not is_legal_pair(term, cycle):
                continue
            plan_id = plan_id_for(item.product_id, item.sku_id, term, cycle, item.country)
            plans.setdefault(
                plan_id,
                ServicePlan(
                    id=plan_id,
                    tile_id=tile_id,
                    product_id=item.product_id,
                    sku_id=item.sku_id,
                    availability_id=item.availability_id,
                    title=item.title,
                    description=item.description,
                    term=term,
                    billing_cycle=cycle,
                    unit_price=price.unit_price,
                    currency=price.currency,
                    min_quantity=item.min_quantity,
                    max_quantity=item.max_quantity,
                    country=item.country,
                ),
            )
    ordered = sorted(
        plans.values(),
        key=lambda p: (
            tile_rank[p.tile_id],
            product_rank[p.product_id],
            p.sku_id,
            p.country,
            TERM_ORDER[p.term],
            BILLING_CYCLE_ORDER[p.billing_cycle],
        ),
    )
    return CatalogueDocument(
        catalogue=catalogue, tiles=tiles, plans=tuple(ordered), synced_at=synced_at
    )
