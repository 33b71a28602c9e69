"""Catalog: products, SKUs and availabilities of the seeded NCE licence-based offers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import CallerDep, ContextDep
from nceflow.partner_center_sim.api.wire import collection, link
from nceflow.partner_center_sim.context import SimContext
from nceflow.partner_center_sim.domain.catalog import CatalogItem

router = APIRouter(tags=["catalog"])

_ONLINE_SERVICES = "onlineservices"


def _country(ctx: SimContext, country: str) -> bool:
    return ctx.state.catalog.supports(country)


@router.get("/v1/products", summary="Get a list of products")
async def list_products(
    _: CallerDep,
    ctx: ContextDep,
    country: str = Query(min_length=2, max_length=2),
    target_view: str = Query(default="OnlineServices", alias="targetView"),
    target_segment: str | None = Query(default=None, alias="targetSegment"),
) -> dict[str, Any]:
    """Products of a catalog view (only `OnlineServices` has products here)."""
    products = ctx.state.catalog.products()
    if not _country(ctx, country) or target_view.lower() != _ONLINE_SERVICES:
        products = []
    if target_segment is not None and target_segment.lower() != "commercial":
        products = []
    self_uri = f"/products?country={country}&targetView={target_view}"
    return collection(
        [render.product(p, country.upper()) for p in products], links={"self": link(self_uri)}
    )


@router.get("/v1/products/{product_id}", summary="Get a product by ID")
async def get_product(
    product_id: str, _: CallerDep, ctx: ContextDep, country: str = Query(min_length=2)
) -> dict[str, Any]:
    """One product (404 / 400013 when unknown)."""
    return render.product(ctx.state.catalog.product(product_id), country.upper())


@router.get("/v1/products/{product_id}/skus", summary="Get a list of SKUs for a product")
async def list_skus(
    product_id: str, _: CallerDep, ctx: ContextDep, country: str = Query(min_length=2)
) -> dict[str, Any]:
    """The product's SKUs."""
    product = ctx.state.catalog.product(product_id)
    skus = product.skus if _country(ctx, country) else ()
    return collection(
        [
            render.sku(
                product, s, country.upper(), ctx.state.catalog.attestation_text(product.id, s.id)
            )
            for s in skus
        ],
        links={"self": link(f"/products/{product.id}/skus?country={country}")},
    )


@router.get("/v1/products/{product_id}/skus/{sku_id}", summary="Get a SKU by ID")
async def get_sku(
    product_id: str, sku_id: str, _: CallerDep, ctx: ContextDep, country: str = Query(min_length=2)
) -> dict[str, Any]:
    """One SKU (404 / 400018 when unknown)."""
    catalog = ctx.state.catalog
    product = catalog.product(product_id)
    sku = catalog.sku(product_id, sku_id)
    return render.sku(product, sku, country.upper(), catalog.attestation_text(product.id, sku.id))


@router.get(
    "/v1/products/{product_id}/skus/{sku_id}/availabilities",
    summary="Get a list of availabilities for a SKU",
)
async def list_availabilities(
    product_id: str, sku_id: str, _: CallerDep, ctx: ContextDep, country: str = Query(min_length=2)
) -> dict[str, Any]:
    """The SKU's availabilities, with NCE terms (duration x billing cycle)."""
    catalog = ctx.state.catalog
    product = catalog.product(product_id)
    sku = catalog.sku(product_id, sku_id)
    items = (
        [
            render.availability(CatalogItem(product, sku, a), catalog.catalog)
            for a in catalog.availabilities(product.id, sku.id)
        ]
        if _country(ctx, country)
        else []
    )
    return collection(
        items,
        links={
            "self": link(f"/products/{product.id}/skus/{sku.id}/availabilities?country={country}")
        },
    )


@router.get(
    "/v1/products/{product_id}/skus/{sku_id}/availabilities/{availability_id}",
    summary="Get an availability by ID",
)
async def get_availability(
    product_id: str,
    sku_id: str,
    availability_id: str,
    _: CallerDep,
    ctx: ContextDep,
    country: str = Query(min_length=2),
) -> dict[str, Any]:
    """One availability (404 / 400019 when unknown)."""
    catalog = ctx.state.catalog
    item = CatalogItem(
        catalog.product(product_id),
        catalog.sku(product_id, sku_id),
        catalog.availability(product_id, sku_id, availability_id),
    )
    return render.availability(item, catalog.catalog)
