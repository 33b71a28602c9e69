"""All of checkout's API routes: the drafts' and the orders' routers, under `/v1`."""

from __future__ import annotations

from fastapi import APIRouter

from nceflow.checkout.api.drafts import drafts_router
from nceflow.checkout.api.orders import orders_router


def build_router() -> APIRouter:
    """Every route of the API."""
    router = APIRouter()
    router.include_router(drafts_router())
    router.include_router(orders_router())
    return router
