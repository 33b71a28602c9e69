"""The read-only catalogue API: catalogues, tiles, plans. Every answer comes from memory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from nceflow.catalog.api.errors import PROBLEM_JSON, RequestProblemError
from nceflow.catalog.api.http_cache import cached_json
from nceflow.catalog.api.schemas import (
    CatalogueList,
    FieldError,
    PlanBatch,
    PlanPage,
    Problem,
    TileList,
)
from nceflow.catalog.domain.model import COUNTRY_PATTERN, BillingCycle, ServicePlan, Term, Tile
from nceflow.catalog.domain.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PlanFilter
from nceflow.catalog.snapshot import MAX_BATCH_IDS
from nceflow.catalog.store import CatalogueStore


def _ok(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    problem = {"model": Problem, "content": {PROBLEM_JSON: {}}}
    return {
        200: {"model": model},
        304: {"description": "Not modified: the `If-None-Match` ETag is current"},
        404: {**problem, "description": "Unknown id"},
        422: {**problem, "description": "A parameter has a value outside its allowed set"},
    }


def catalogue_router(store: CatalogueStore, *, cache_max_age: int) -> APIRouter:
    """Routes answering from `store`'s current snapshot."""
    router = APIRouter(prefix="/v1", tags=["catalogue"])
    cache_control = f"public, max-age={cache_max_age}"

    @router.get("/catalogues", response_model=None, responses=_ok(CatalogueList))
    async def list_catalogues(request: Request) -> Response:
        """Every catalogue the marketplace offers (the Microsoft NCE Catalogue)."""
        return cached_json(request, store.snapshot.catalogues(), cache_control)

    @router.get("/catalogues/{catalogue_id}/tiles", response_model=None, responses=_ok(TileList))
    async def list_tiles(request: Request, catalogue_id: str) -> Response:
        """The tiles of a catalogue, in display order."""
        return cached_json(request, store.snapshot.tiles_of(catalogue_id), cache_control)

    @router.get("/tiles/{tile_id}", response_model=None, responses=_ok(Tile))
    async def get_tile(request: Request, tile_id: str) -> Response:
        """One tile, such as `nce-microsoft-365-commercial`."""
        return cached_json(request, store.snapshot.tile(tile_id), cache_control)

    @router.get("/tiles/{tile_id}/plans", response_model=None, responses=_ok(PlanPage))
    async def list_tile_plans(
        request: Request,
        tile_id: str,
        term: Annotated[Term | None, Query(description="Only plans of this term")] = None,
        billing_cycle: Annotated[
            BillingCycle | None, Query(description="Only plans billed on this cycle")
        ] = None,
        q: Annotated[
            str | None,
            Query(max_length=100, description="Words that must all appear in the plan's title"),
        ] = None,
        country: Annotated[
            str | None,
            Query(pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2 market, e.g. US"),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        cursor: Annotated[
            str | None, Query(max_length=200, description="`next_cursor` of the previous page")
        ] = None,
    ) -> Response:
        """A page of the tile's plans that pass every filter given."""
        plan_filter = PlanFilter(term=term, billing_cycle=billing_cycle, text=q, country=country)
        body = store.snapshot.plans_of_tile(tile_id, plan_filter, limit=limit, cursor=cursor)
        return cached_json(request, body, cache_control)

    @router.get("/plans/{plan_id}", response_model=None, responses=_ok(ServicePlan))
    async def get_plan(request: Request, plan_id: str) -> Response:
        """One plan: what checkout puts in a cart and fulfilment sends to Partner Center."""
        return cached_json(request, store.snapshot.plan(plan_id), cache_control)

    @router.get("/plans", response_model=None, responses=_ok(PlanBatch))
    async def get_plans(
        request: Request,
        ids: Annotated[
            str,
            Query(
                min_length=1,
                max_length=MAX_BATCH_IDS * 130,
                description=f"Comma-separated plan ids, at most {MAX_BATCH_IDS}",
            ),
        ],
    ) -> Response:
        """Several plans at once (a whole cart); unknown ids are listed in `missing`, not a 404."""
        plan_ids = [pid.strip() for pid in ids.split(",") if pid.strip()]
        if not plan_ids or len(plan_ids) > MAX_BATCH_IDS:
            reason = f"give between 1 and {MAX_BATCH_IDS} comma-separated plan ids"
            raise RequestProblemError(
                422,
                "invalid-parameter",
                "Invalid value for: ids",
                [FieldError(field="ids", reason=reason)],
            )
        return cached_json(request, store.snapshot.plans_by_id(plan_ids), cache_control)

    return router
