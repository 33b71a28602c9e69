"""Refresh the catalogue from Partner Center: products → SKUs → availabilities, priced by the
partner's price list, then swapped in whole.

Every call must succeed before anything changes: the new catalogue is built in memory, written
to a temporary file renamed over the old one, and only then handed to the store. A sync that
fails half way (Partner Center down, throttled past the client's retry budget, an empty or
invalid answer) raises and leaves both the served catalogue and the file as they were.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.adapters.files import load_catalogue, load_price_list, save_catalogue
from nceflow.catalog.domain.build import CatalogItem, build_catalogue
from nceflow.catalog.domain.model import CatalogueDocument, is_legal_pair
from nceflow.catalog.domain.price_list import PriceList
from nceflow.catalog.settings import Settings
from nceflow.partner_center import (
    Availability,
    PartnerCenterClient,
    PartnerCenterSettings,
    Product,
    Sku,
)
from nceflow.schemas.values import BillingCycle, Term

_log = structlog.get_logger("nceflow.catalog.sync")


class SyncError(RuntimeError):
    """Partner Center answered, but not with a catalogue we are willing to serve."""


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync changed."""

    synced_at: str
    tiles: int
    plans: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    written_to: Path | None

    def summary(self) -> str:
        """One line for the CLI and the logs."""
        where = f", written to {self.written_to}" if self.written_to else ""
        return (
            f"catalogue synced at {self.synced_at}: {self.plans} plans on {self.tiles} tiles "
            f"({len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed){where}"
        )


def _terms(availability: Availability, sku: Sku) -> tuple[tuple[Term, BillingCycle], ...]:
    """The (term, billing cycle) pairs an availability is sold with.

    Partner Center lists one term entry per billing cycle (`"billingCycle": "Monthly"`, its case
    varies); an entry without a cycle stands for every cycle the SKU supports.
    """
    pairs: list[tuple[Term, BillingCycle]] = []
    for entry in availability.terms:
        try:
            term = Term(entry.duration.upper())
        except ValueError:
            continue  # a term NCE licence-based plans do not use
        cycles = [entry.billing_cycle] if entry.billing_cycle else sku.supported_billing_cycles
        for raw in cycles:
            try:
                cycle = BillingCycle(raw.lower())
            except ValueError:
                continue
            if is_legal_pair(term, cycle) and (term, cycle) not in pairs:
                pairs.append((term, cycle))
    return tuple(pairs)


async def _items_of_product(
    client: PartnerCenterClient, product: Product, country: str, correlation_id: str
) -> list[CatalogItem]:
    items: list[CatalogItem] = []
    for sku in await client.list_skus(product.id, correlation_id=correlation_id, country=country):
        availabilities = await client.list_availabilities(
            product.id, sku.id, correlation_id=correlation_id, country=country
        )
        for availability in availabilities:
            if availability.is_purchasable is False:
                continue
            items.append(
                CatalogItem(
                    product_id=product.id,
                    sku_id=sku.id,
                    availability_id=availability.id,
                    country=(availability.country or country).upper(),
                    title=sku.title or product.title or product.id,
                    description=sku.description or product.description or "",
                    min_quantity=sku.minimum_quantity or 1,
                    max_quantity=sku.maximum_quantity or 10_000,
                    terms=_terms(availability, sku),
                )
            )
    return items


async def read_catalog_items(
    client: PartnerCenterClient,
    product_ids: frozenset[str],
    countries: tuple[str, ...],
    *,
    correlation_id: str,
) -> list[CatalogItem]:
    """Every availability of the wanted products in each country, read concurrently.

    Raises the client's `PartnerCenterError` (after its own retries) if any call fails; the other
    calls are then cancelled.
    """
    items: list[CatalogItem] = []
    for country in countries:
        products = await client.list_products(correlation_id=correlation_id, country=country)
        wanted = [p for p in products if p.id in product_ids]
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(_items_of_product(client, p, country, correlation_id))
                for p in wanted
            ]
        for task in tasks:
            items.extend(task.result())
    return items


def _first_leaf(group: BaseExceptionGroup[Exception]) -> Exception:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def build_synced_catalogue(
    client: PartnerCenterClient,
    current: CatalogueDocument,
    price_list: PriceList,
    *,
    countries: tuple[str, ...],
    now: datetime | None = None,
) -> CatalogueDocument:
    """The catalogue Partner Center sells today, laid out on `current`'s tiles and priced.

    Raises `SyncError` when the result would leave the catalogue without plans.
    """
    correlation_id = str(uuid.uuid4())
    product_ids = frozenset(pid for tile in current.tiles for pid in tile.product_ids)
    try:
        items = await read_catalog_items(
            client, product_ids, countries, correlation_id=correlation_id
        )
    except ExceptionGroup as group:
        # One failed call is the story; the TaskGroup wrapper is noise to the caller. A plain
        # `except` (not `except*`): re-raising a leaf inside `except*` can re-wrap it in a group.
        raise _first_leaf(group) from None
    synced_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    document = build_catalogue(
        current.catalogue, current.tiles, items, price_list, synced_at=synced_at
    )
    if not document.plans:
        raise SyncError("Partner Center returned no priced plan for any tile; keeping the old one")
    return document


def _report(old: CatalogueDocument, new: CatalogueDocument, path: Path | None) -> SyncReport:
    before = {p.id: p for p in old.plans}
    after = {p.id: p for p in new.plans}
    return SyncReport(
        synced_at=new.synced_at or "",
        tiles=len(new.tiles),
        plans=len(new.plans),
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(sorted(k for k in after.keys() & before.keys() if after[k] != before[k])),
        written_to=path,
    )


async def sync_catalogue(
    settings: Settings,
    partner_center: PartnerCenterSettings,
    *,
    store: CatalogueStore | None = None,
    client: PartnerCenterClient | None = None,
) -> SyncReport:
    """Read Partner Center, write `settings.catalogue_file`, then swap `store` if given.

    This is what `nceflow catalog sync` runs (without a store: a running service picks the file
    up on its next start, or through `POST /v1/admin/sync`). Raises, changing nothing, on failure.
    """
    if store is not None:
        current = store.snapshot.document
    elif settings.catalogue_file is not None and settings.catalogue_file.exists():
        current = load_catalogue(settings.catalogue_file)
    else:
        current = load_catalogue()
    price_list = load_price_list(settings.price_list_file)
    countries = tuple(c.upper() for c in settings.sync_countries)
    if client is None:
        async with PartnerCenterClient(partner_center) as own_client:
            document = await build_synced_catalogue(
                own_client, current, price_list, countries=countries
            )
    else:
        document = await build_synced_catalogue(client, current, price_list, countries=countries)
    if settings.catalogue_file is not None:
        await asyncio.to_thread(save_catalogue, document, settings.catalogue_file)
    if store is not None:
        store.replace(document)
    report = _report(current, document, settings.catalogue_file)
    _log.info(
        "catalogue synced",
        plans=report.plans,
        added=len(report.added),
        removed=len(report.removed),
        changed=len(report.changed),
    )
    return report


def sync_from_environment() -> SyncReport:
    """`nceflow catalog sync`: settings from `NCEFLOW_CATALOG_*` and `NCEFLOW_PARTNER_CENTER_*`."""
    return asyncio.run(sync_catalogue(Settings(), PartnerCenterSettings()))
