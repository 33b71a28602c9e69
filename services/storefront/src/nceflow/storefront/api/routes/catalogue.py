"""Seed steps 1-3: the catalogues, the tiles of a catalogue, a tile's plans with filters."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from nceflow.storefront.adapters.catalog_client import CatalogClient, PlanFilter
from nceflow.storefront.api.pages import Pages
from nceflow.storefront.api.session import Customer, signed_in
from nceflow.storefront.domain.presentation import BILLING_CYCLE_LABELS, TERM_LABELS

SignedIn = Annotated[Customer, Depends(signed_in)]


def catalogue_router(pages: Pages, catalog: CatalogClient) -> APIRouter:
    """Browsing pages; every one reads the catalog service, none changes anything."""
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    async def home(_: SignedIn) -> RedirectResponse:
        return RedirectResponse("/catalogues", status_code=303)

    @router.get("/catalogues", response_class=HTMLResponse)
    async def catalogues(request: Request, _: SignedIn) -> HTMLResponse:
        """Seed step 1: the marketplace's catalogues (the Microsoft NCE Catalogue)."""
        items = await catalog.catalogues()
        return pages.render(
            request,
            "catalogues.html",
            {"title": "Catalogues", "catalogues": items, "nav": "catalogue"},
        )

    @router.get("/catalogues/{catalogue_id}", response_class=HTMLResponse)
    async def catalogue(request: Request, catalogue_id: str, _: SignedIn) -> HTMLResponse:
        """Seed step 2: the tiles of one catalogue."""
        found = await catalog.catalogue(catalogue_id)
        if found is None:
            raise HTTPException(404, "There is no such catalogue.")
        tiles = await catalog.tiles(catalogue_id)
        return pages.render(
            request,
            "catalogue.html",
            {"title": found.name, "catalogue": found, "tiles": tiles, "nav": "catalogue"},
        )

    @router.get("/tiles/{tile_id}", response_class=HTMLResponse)
    async def tile(
        request: Request,
        tile_id: str,
        _: SignedIn,
        term: Annotated[str | None, Query(max_length=8)] = None,
        billing_cycle: Annotated[str | None, Query(max_length=16)] = None,
        q: Annotated[str | None, Query(max_length=100)] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        """Seed step 3: a tile's service plans, each with a quantity and "Add to Cart"."""
        plan_filter = PlanFilter(
            term=term if term in TERM_LABELS else None,
            billing_cycle=billing_cycle if billing_cycle in BILLING_CYCLE_LABELS else None,
            q=(q or "").strip() or None,
            cursor=cursor or None,
        )
        found = await catalog.tile(tile_id)
        owner = await catalog.catalogue(found.catalogue_id)
        page = await catalog.plans(tile_id, plan_filter)
        kept = plan_filter.model_dump(exclude_none=True, exclude={"cursor"})
        next_url = (
            f"/tiles/{tile_id}?{urlencode({**kept, 'cursor': page.next_cursor})}"
            if page.next_cursor
            else None
        )
        query = f"?{request.url.query}" if request.url.query else ""
        return pages.render(
            request,
            "tile.html",
            {
                "title": found.name,
                "tile": found,
                "catalogue": owner,
                "plans": page.items,
                "filter": plan_filter,
                "terms": list(TERM_LABELS),
                "billing_cycles": list(BILLING_CYCLE_LABELS),
                "next_cursor": page.next_cursor,
                "next_url": next_url,
                "back_url": f"/tiles/{tile_id}{query}",
                "nav": "catalogue",
            },
        )

    return router
