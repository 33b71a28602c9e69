"""Prices from the catalog service: one batch call per cart (`GET /v1/plans?ids=a,b,c`)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import httpx
from pydantic import BaseModel

from nceflow.checkout.domain.pricing import PlanQuote


class DependencyUnavailable(Exception):
    """A service checkout depends on did not answer usably; the request may be retried."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}")
        self.dependency = dependency
        self.detail = detail


class _Plan(BaseModel):
    """The fields of the catalog's plan that checkout uses (the catalog may add others)."""

    id: str
    title: str
    product_id: str
    sku_id: str
    availability_id: str
    catalog_item_id: str
    term: str
    billing_cycle: str
    unit_price: Decimal
    currency: str
    min_quantity: int
    max_quantity: int


class _PlanBatch(BaseModel):
    items: list[_Plan]
    missing: list[str] = []


class CatalogClient:
    """Reads plans from the catalog service over HTTP."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def quotes(self, plan_ids: Iterable[str]) -> dict[str, PlanQuote]:
        """Quotes of the plans that exist, by plan id (missing ones are simply absent)."""
        ids = sorted(set(plan_ids))
        if not ids:
            return {}
        try:
            response = await self._http.get("/v1/plans", params={"ids": ",".join(ids)})
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("catalog", f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise DependencyUnavailable("catalog", f"GET /v1/plans answered {response.status_code}")
        batch = _PlanBatch.model_validate_json(response.content)
        return {
            plan.id: PlanQuote(
                plan_id=plan.id,
                title=plan.title,
                product_id=plan.product_id,
                sku_id=plan.sku_id,
                availability_id=plan.availability_id,
                catalog_item_id=plan.catalog_item_id,
                term=plan.term,
                billing_cycle=plan.billing_cycle,
                unit_price=plan.unit_price,
                currency=plan.currency,
                min_quantity=plan.min_quantity,
                max_quantity=plan.max_quantity,
            )
            for plan in batch.items
        }
