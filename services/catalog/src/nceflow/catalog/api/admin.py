"""`POST /v1/admin/sync`: refresh the served catalogue from Partner Center, for operators.

Off unless `NCEFLOW_CATALOG_ADMIN_TOKEN` is set; the caller sends it as a bearer token.
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, SecretStr

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.api.errors import PROBLEM_JSON, RequestProblemError
from nceflow.catalog.api.schemas import Problem
from nceflow.catalog.settings import Settings
from nceflow.catalog.sync import SyncError, sync_catalogue
from nceflow.partner_center import PartnerCenterError, PartnerCenterSettings

# A stateless scheme description (no I/O); module level so FastAPI can resolve the annotation.
_bearer = HTTPBearer(auto_error=False, description="The value of NCEFLOW_CATALOG_ADMIN_TOKEN")


class SyncResult(BaseModel):
    """What a sync changed."""

    synced_at: str
    tiles: int
    plans: int
    added: list[str]
    removed: list[str]
    changed: list[str]


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}


def admin_router(
    store: CatalogueStore,
    settings: Settings,
    partner_center: PartnerCenterSettings,
    token: SecretStr,
) -> APIRouter:
    """Routes for operators, guarded by `token`."""
    router = APIRouter(prefix="/v1/admin", tags=["admin"])
    # Two syncs at once would race to write the same file; the second waits for the first.
    lock = asyncio.Lock()
    expected = token.get_secret_value().encode()

    @router.post(
        "/sync",
        responses={
            401: _problem("Missing or wrong bearer token"),
            502: _problem("Partner Center failed; the previous catalogue is still served"),
        },
    )
    async def sync(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> SyncResult:
        """Read Partner Center, re-price, and swap the served catalogue in one step."""
        given = credentials.credentials.encode() if credentials is not None else b""
        if not hmac.compare_digest(given, expected):
            raise RequestProblemError(
                401,
                "unauthorized",
                "A valid admin bearer token is needed",
                headers={"WWW-Authenticate": "Bearer"},
            )
        async with lock:
            try:
                report = await sync_catalogue(settings, partner_center, store=store)
            except (PartnerCenterError, SyncError) as exc:
                raise RequestProblemError(
                    502,
                    "catalogue-sync-failed",
                    f"Sync failed, the previous catalogue is still served: {exc}",
                ) from exc
        return SyncResult(
            synced_at=report.synced_at,
            tiles=report.tiles,
            plans=report.plans,
            added=list(report.added),
            removed=list(report.removed),
            changed=list(report.changed),
        )

    return router
