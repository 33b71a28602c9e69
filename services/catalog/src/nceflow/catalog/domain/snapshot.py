"""An immutable, precomputed index of one catalogue version, serving every read from memory.

Responses are assembled from JSON bytes serialised once per plan when the snapshot is built, so a
read neither touches a file nor runs pydantic serialisation. A sync builds a new snapshot and the
store swaps it in with one assignment; readers keep the snapshot they started with.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import orjson

from nceflow.catalog.domain.model import CatalogueDocument, ServicePlan, Tile
from nceflow.catalog.domain.query import (
    DEFAULT_PAGE_SIZE,
    PlanFilter,
    SortKey,
    decode_cursor,
    encode_cursor,
    sort_key,
)

MAX_BATCH_IDS = 100
# Pages computed for filtered queries are kept per snapshot (it never changes, so they never go
# stale); the bound keeps a client walking random filters from growing memory without end.
MAX_CACHED_PAGES = 2048


class UnknownCatalogueError(LookupError):
    """No catalogue has this id."""


class UnknownTileError(LookupError):
    """No tile has this id."""


class UnknownPlanError(LookupError):
    """No plan has this id."""


@dataclass(frozen=True, slots=True)
class Body:
    """A ready-to-send JSON body and its strong ETag."""

    content: bytes
    etag: str

    @classmethod
    def of(cls, content: bytes) -> Body:
        """Wrap `content`, tagging it with a hash of its bytes."""
        return cls(content, f'"{hashlib.blake2b(content, digest_size=12).hexdigest()}"')


@dataclass(frozen=True, slots=True)
class _TilePlans:
    plans: tuple[ServicePlan, ...]
    keys: tuple[SortKey, ...]
    json: tuple[bytes, ...]
    first_page: Body


def _plan_json(plan: ServicePlan) -> bytes:
    return plan.model_dump_json().encode()


def _items_body(items: Iterable[bytes], **extra: object) -> bytes:
    tail = orjson.dumps(extra)
    # `{"items":[...]` followed by the other members of `extra` (or just `}` when there are none).
    return b'{"items":[' + b",".join(items) + b"]" + (b"," + tail[1:] if extra else b"}")


class CatalogueSnapshot:
    """One catalogue version: lookups by id and filtered, paginated plan lists."""

    def __init__(self, document: CatalogueDocument) -> None:
        self.document = document
        catalogue = document.catalogue
        self.plan_count = len(document.plans)
        self._catalogues = Body.of(_items_body([catalogue.model_dump_json().encode()]))
        self._tiles_of_catalogue = MappingProxyType(
            {
                catalogue.id: Body.of(
                    _items_body(tile.model_dump_json().encode() for tile in document.tiles)
                )
            }
        )
        self._tiles = MappingProxyType(
            {tile.id: Body.of(tile.model_dump_json().encode()) for tile in document.tiles}
        )
        self._tile_models = MappingProxyType({tile.id: tile for tile in document.tiles})
        plan_json = {plan.id: _plan_json(plan) for plan in document.plans}
        self._plan_json = MappingProxyType(plan_json)
        self._plans = MappingProxyType({pid: Body.of(raw) for pid, raw in plan_json.items()})
        self._pages: dict[tuple[str, PlanFilter, int, str | None], Body] = {}
        self._tile_plans = MappingProxyType(
            {tile.id: self._index_tile(tile, document.plans, plan_json) for tile in document.tiles}
        )

    @staticmethod
    def _index_tile(
        tile: Tile, plans: Sequence[ServicePlan], plan_json: dict[str, bytes]
    ) -> _TilePlans:
        own = sorted(
            (p for p in plans if p.tile_id == tile.id), key=lambda p: sort_key(p, tile.product_ids)
        )
        keys = tuple(sort_key(p, tile.product_ids) for p in own)
        raw = tuple(plan_json[p.id] for p in own)
        page = own[:DEFAULT_PAGE_SIZE]
        more = len(own) > DEFAULT_PAGE_SIZE
        next_cursor = encode_cursor(keys[len(page) - 1]) if more else None
        first = Body.of(_items_body(raw[: len(page)], next_cursor=next_cursor))
        return _TilePlans(plans=tuple(own), keys=keys, json=raw, first_page=first)

    def catalogues(self) -> Body:
        """Every catalogue (there is one: the Microsoft NCE Catalogue)."""
        return self._catalogues

    def tiles_of(self, catalogue_id: str) -> Body:
        """The tiles of one catalogue, in display order."""
        try:
            return self._tiles_of_catalogue[catalogue_id]
        except KeyError:
            raise UnknownCatalogueError(catalogue_id) from None

    def tile(self, tile_id: str) -> Body:
        """One tile."""
        try:
            return self._tiles[tile_id]
        except KeyError:
            raise UnknownTileError(tile_id) from None

    def plan(self, plan_id: str) -> Body:
        """One plan."""
        try:
            return self._plans[plan_id]
        except KeyError:
            raise UnknownPlanError(plan_id) from None

    def plans_of_tile(
        self,
        tile_id: str,
        plan_filter: PlanFilter,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
    ) -> Body:
        """One page of a tile's plans that pass `plan_filter`, after `cursor` when given.

        Raises `UnknownTileError`, or `InvalidCursorError` for a cursor this service did not issue.
        """
        try:
            indexed = self._tile_plans[tile_id]
        except KeyError:
            raise UnknownTileError(tile_id) from None
        if cursor is None and limit == DEFAULT_PAGE_SIZE and plan_filter.is_empty:
            return indexed.first_page
        key = (tile_id, plan_filter, limit, cursor)
        cached = self._pages.get(key)
        if cached is not None:
            return cached
        page = self._page(indexed, plan_filter, limit, cursor)
        if len(self._pages) < MAX_CACHED_PAGES:
            self._pages[key] = page
        return page

    @staticmethod
    def _page(indexed: _TilePlans, plan_filter: PlanFilter, limit: int, cursor: str | None) -> Body:
        start = 0 if cursor is None else bisect_right(indexed.keys, decode_cursor(cursor))
        picked: list[int] = []
        more = False
        for i in range(start, len(indexed.plans)):
            if plan_filter.matches(indexed.plans[i]):
                if len(picked) == limit:
                    more = True
                    break
                picked.append(i)
        next_cursor = encode_cursor(indexed.keys[picked[-1]]) if more else None
        return Body.of(_items_body((indexed.json[i] for i in picked), next_cursor=next_cursor))

    def plans_by_id(self, plan_ids: Sequence[str]) -> Body:
        """The plans named by `plan_ids` in request order (each once), and the ids not found."""
        unique = list(dict.fromkeys(plan_ids))
        found = [self._plan_json[pid] for pid in unique if pid in self._plan_json]
        missing = [pid for pid in unique if pid not in self._plan_json]
        return Body.of(_items_body(found, missing=missing))
