"""Filtering and cursor pagination of a tile's plans.

Pagination is keyset-based: the cursor holds the sort key of the last plan returned, not an
offset, so paging through a tile while a sync replaces the catalogue neither repeats nor skips a
plan that exists in both versions.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from nceflow.catalog.domain.model import BILLING_CYCLE_ORDER, TERM_ORDER, ServicePlan
from nceflow.schemas.values import BillingCycle, Term

# (product position on the tile, SKU id, country, term rank, billing cycle rank)
SortKey = tuple[int, str, str, int, int]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class InvalidCursorError(ValueError):
    """The cursor was not issued by this service."""


@dataclass(frozen=True, slots=True)
class PlanFilter:
    """What a customer narrows a tile's plans by; `None` means any."""

    term: Term | None = None
    billing_cycle: BillingCycle | None = None
    text: str | None = None
    country: str | None = None

    @property
    def is_empty(self) -> bool:
        """Whether the filter lets every plan through."""
        return (
            self.term is None and self.billing_cycle is None and not self.text and not self.country
        )

    def matches(self, plan: ServicePlan) -> bool:
        """Whether `plan` passes every criterion; `text` matches each word in the title."""
        if self.term is not None and plan.term is not self.term:
            return False
        if self.billing_cycle is not None and plan.billing_cycle is not self.billing_cycle:
            return False
        if self.country is not None and plan.country != self.country:
            return False
        if self.text:
            title = plan.title.casefold()
            return all(word in title for word in self.text.casefold().split())
        return True


def sort_key(plan: ServicePlan, product_ids: tuple[str, ...]) -> SortKey:
    """Where `plan` sits among the plans of a tile listing `product_ids` in display order."""
    return (
        product_ids.index(plan.product_id),
        plan.sku_id,
        plan.country,
        TERM_ORDER[plan.term],
        BILLING_CYCLE_ORDER[plan.billing_cycle],
    )


def encode_cursor(key: SortKey) -> str:
    """An opaque, URL-safe cursor that resumes after the plan with sort key `key`."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """The sort key inside `cursor`; raises `InvalidCursorError` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursorError(cursor) from exc
    if (
        not isinstance(value, list)
        or len(value) != 5
        or not all(isinstance(v, t) for v, t in zip(value, (int, str, str, int, int), strict=True))
        or any(isinstance(v, bool) for v in value)
    ):
        raise InvalidCursorError(cursor)
    return (value[0], value[1], value[2], value[3], value[4])
