"""The read-only catalogue API: catalogues, tiles, plans. Every answer comes from memory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.api.errors import PROBLEM_JSON, RequestProblemError
from nceflow.catalog.api.http_cache import cached_json
from nceflow.catalog.api.plan_params import openapi_query_parameters, parse_plan_list_params
from nceflow.catalog.api.schemas import (
    CatalogueList,
    FieldError,
    PlanBatch,
    PlanPage,
    Problem,
    TileList,
)
from nceflow.catalog.domain.model import ServicePlan, Tile
from nceflow.catalog.domain.snapshot import MAX_BATCH_IDS


def _ok(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    problem = {"model": Problem, "content": {PROBLEM_JSON: {}}}
    return {
        200: {"model": model},
        304: {"description": "Not modified: the `If-None-Match` ETag is current"},
        404: {**problem, "description": "Unknown id"},
        422: {**problem, "description": "A parameter has a value outside its allowed set"},
    }


TILE_ID_PARAMETER: dict[str, Any] = {
    "name": "tile_id",
    "in": "path",
    "required": True,
    "description": "A tile id, e.g. nce-microsoft-365-commercial",
    "schema": {"type": "string"},
}


def add_catalogue_routes(router: APIRouter, store: CatalogueStore, *, cache_max_age: int) -> None:
    """Add the routes answering from `store`'s current snapshot to `router`.

    Pass the app's own router (`app.router`): FastAPI 0.16x matches an included router through
    an extra layer per request, which `bench/catalog.py` measured at a quarter of this route's
    cost.
    """
    cache_control = f"public, max-age={cache_max_age}".encode()

    @router.get(
        "/v1/catalogues", response_model=None, tags=["catalogue"], responses=_ok(CatalogueList)
    )
    async def list_catalogues(request: Request) -> Response:
        """Every catalogue the marketplace offers (the Microsoft NCE Catalogue)."""
        return cached_json(request, store.snapshot.catalogues(), cache_control)

    @router.get(
        "/v1/catalogues/{catalogue_id}/tiles",
        response_model=None,
        tags=["catalogue"],
        responses=_ok(TileList),
    )
    async def list_tiles(request: Request, catalogue_id: str) -> Response:
        """The tiles of a catalogue, in display order."""
        return cached_json(request, store.snapshot.tiles_of(catalogue_id), cache_control)

    @router.get("/v1/tiles/{tile_id}", response_model=None, tags=["catalogue"], responses=_ok(Tile))
    async def get_tile(request: Request, tile_id: str) -> Response:
        """One tile, such as `nce-microsoft-365-commercial`."""
        return cached_json(request, store.snapshot.tile(tile_id), cache_control)

    @router.get(
        "/v1/tiles/{tile_id}/plans",
        response_model=None,
        tags=["catalogue"],
        responses=_ok(PlanPage),
        openapi_extra={"parameters": [TILE_ID_PARAMETER, *openapi_query_parameters()]},
    )
    async def list_tile_plans(request: Request) -> Response:
        """A page of the tile's plans that pass every filter given (see `PlanListParams`)."""
        # Parameters are read from the request, not declared: see `plan_params` for why.
        tile_id: str = request.path_params["tile_id"]
        params = parse_plan_list_params(request.scope["query_string"])
        body = store.snapshot.plans_of_tile(
            tile_id, params.plan_filter(), limit=params.limit, cursor=params.cursor
        )
        return cached_json(request, body, cache_control)

    @router.get(
        "/v1/plans/{plan_id}", response_model=None, tags=["catalogue"], responses=_ok(ServicePlan)
    )
    async def get_plan(request: Request, plan_id: str) -> Response:
        """One plan: what checkout puts in a cart and fulfilment sends to Partner Center."""
        return cached_json(request, store.snapshot.plan(plan_id), cache_control)

    @router.get("/v1/plans", response_model=None, tags=["catalogue"], responses=_ok(PlanBatch))
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
