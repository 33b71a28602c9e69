"""Prices from the catalog service: one batch call per cart (`GET /v1/plans?ids=a,b,c`).

Quotes are kept as long as the catalog's `Cache-Control: max-age` allows (60 s by default): the
catalog declares its answers fresh that long, and skipping the call saves a catalog round trip on
most carts and Buys. A catalog answering `no-store`, `no-cache` or without `max-age` is asked
every time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

import httpx
from pydantic import BaseModel, Field

from nceflow.checkout.domain.pricing import PlanQuote
from nceflow.checkout.errors import DependencyUnavailable


class _CatalogPlan(PlanQuote):
    """A plan as the catalog's API names it (`id`); the fields checkout does not use are
    ignored (the catalog may add others)."""

    plan_id: str = Field(validation_alias="id")


class _PlanBatch(BaseModel):
    items: list[_CatalogPlan]
    missing: list[str] = []


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
_NOT_STORED = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\b", re.IGNORECASE)


def freshness_seconds(cache_control: str | None) -> int:
    """How long an answer with this `Cache-Control` may be reused (0: not at all)."""
    if not cache_control or _NOT_STORED.search(cache_control):
        return 0
    found = _MAX_AGE.search(cache_control)
    return int(found.group(1)) if found else 0


class CatalogClient:
    """Reads plans from the catalog service over HTTP, reusing fresh answers."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self._http = http
        self._clock = clock
        self._max_entries = max_entries
        self._fresh: dict[str, tuple[float, PlanQuote]] = {}  # plan id -> (fresh until, quote)

    async def quotes(self, plan_ids: Iterable[str]) -> dict[str, PlanQuote]:
        """Quotes of the plans that exist, by plan id (missing ones are simply absent)."""
        now = self._clock()
        found: dict[str, PlanQuote] = {}
        wanted: list[str] = []
        for plan_id in sorted(set(plan_ids)):
            cached = self._fresh.get(plan_id)
            if cached is not None and cached[0] > now:
                found[plan_id] = cached[1]
            else:
                wanted.append(plan_id)
        if wanted:
            fetched, max_age = await self._fetch(wanted)
            found.update(fetched)
            if max_age > 0:
                self._remember(fetched, now + max_age, now)
        return found

    def _remember(self, quotes: dict[str, PlanQuote], until: float, now: float) -> None:
        if len(self._fresh) + len(quotes) > self._max_entries:
            self._fresh = {key: hit for key, hit in self._fresh.items() if hit[0] > now}
            if len(self._fresh) + len(quotes) > self._max_entries:
                self._fresh.clear()
        for plan_id, quote in quotes.items():
            self._fresh[plan_id] = (until, quote)

    async def _fetch(self, ids: list[str]) -> tuple[dict[str, PlanQuote], int]:
        try:
            response = await self._http.get("/v1/plans", params={"ids": ",".join(ids)})
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("catalog", f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise DependencyUnavailable("catalog", f"GET /v1/plans answered {response.status_code}")
        batch = _PlanBatch.model_validate_json(response.content)
        quotes = {plan.plan_id: PlanQuote.model_validate(plan.model_dump()) for plan in batch.items}
        return quotes, freshness_seconds(response.headers.get("cache-control"))
