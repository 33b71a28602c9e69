"""The catalogue shipped with the service is valid and matches the simulator's seed."""

from __future__ import annotations

import re

from nceflow.catalog.adapters.files import load_catalogue, load_price_list
from nceflow.catalog.domain.model import LEGAL_BILLING_CYCLES
from nceflow.partner_center_sim.domain.seed import load_seed

CATALOG_ITEM_ID = re.compile(r"^[A-Z0-9]{12}:[0-9]{4}:[A-Z0-9]{12}$")


def test_shipped_catalogue_has_the_seed_walkthrough_entry_points() -> None:
    document = load_catalogue()
    assert document.catalogue.name == "Microsoft NCE Catalogue"
    names = {tile.id: tile.name for tile in document.tiles}
    assert names["nce-microsoft-365-commercial"] == "NCE Microsoft 365 (Commercial)"
    assert len(document.tiles) >= 4
    assert len(document.plans) >= 30
    assert all(any(p.tile_id == tile.id for p in document.plans) for tile in document.tiles)


def test_every_shipped_plan_is_sellable() -> None:
    for plan in load_catalogue().plans:
        assert CATALOG_ITEM_ID.match(plan.catalog_item_id), plan.id
        assert plan.unit_price > 0, plan.id
        assert plan.billing_cycle in LEGAL_BILLING_CYCLES[plan.term], plan.id
        assert "," not in plan.id


def test_every_shipped_plan_exists_in_the_simulator_seed_and_the_price_list() -> None:
    seed = load_seed()
    sellable = {
        (product.id, sku.id, availability.id, term.duration, price.billing_cycle)
        for product in seed.catalog.products
        for sku in product.skus
        for availability in sku.availabilities
        for term in availability.terms
        for price in term.prices
    }
    prices = load_price_list().index()
    for plan in load_catalogue().plans:
        key = (plan.product_id, plan.sku_id, plan.availability_id, plan.term, plan.billing_cycle)
        assert key in sellable, plan.id
        price = prices[(plan.product_id, plan.sku_id, plan.term, plan.billing_cycle, plan.country)]
        assert (price.unit_price, price.currency) == (plan.unit_price, plan.currency)
