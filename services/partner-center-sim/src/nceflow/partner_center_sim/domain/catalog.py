"""Lookups in the seeded NCE catalog, and the rules a cart line must follow."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from nceflow.partner_center_sim.api.errors import (
    AVAILABILITY_NOT_FOUND,
    PRODUCT_NOT_FOUND,
    SKU_NOT_FOUND,
    PartnerCenterError,
    bad_request,
    not_found,
)
from nceflow.partner_center_sim.domain.seed import Availability, Catalog, Product, Sku


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One purchasable `productId:skuId:availabilityId`."""

    product: Product
    sku: Sku
    availability: Availability

    @property
    def catalog_item_id(self) -> str:
        """Microsoft's catalog item id."""
        return f"{self.product.id}:{self.sku.id}:{self.availability.id}"


class CatalogIndex:
    """The seeded catalog, indexed by Microsoft's ids."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._products = {p.id.upper(): p for p in catalog.products}
        # Microsoft replaces availabilities over time (a new id for the same terms): changes
        # made through the control API, on top of the seed, until reset.
        self._withdrawn: set[str] = set()
        self._added: dict[tuple[str, str], list[Availability]] = {}
        # SKUs whose offer needs an attestation on each cart line: (product, sku) → its text.
        self._attestations: dict[tuple[str, str], str] = {}

    def require_attestation(self, product_id: str, sku_id: str, text: str) -> None:
        """The SKU's `attestationProperties` enforce an attestation: cart lines without
        `attestationAccepted: true` get a line error (10012)."""
        sku = self.sku(product_id, sku_id)
        self._attestations[(product_id.upper(), sku.id.upper())] = text

    def attestation_text(self, product_id: str, sku_id: str) -> str | None:
        """The attestation the SKU enforces, if any."""
        return self._attestations.get((product_id.upper(), sku_id.upper()))

    def availabilities(self, product_id: str, sku_id: str) -> list[Availability]:
        """The SKU's current availabilities (seeded ones not withdrawn, then replacements)."""
        sku = self.sku(product_id, sku_id)
        key = (product_id.upper(), sku.id.upper())
        current = [*sku.availabilities, *self._added.get(key, [])]
        return [a for a in current if f"{key[0]}:{key[1]}:{a.id.upper()}" not in self._withdrawn]

    def withdraw(self, catalog_item_id: str, *, replace: bool) -> str | None:
        """Withdraw an availability; with `replace`, publish one with a new id and the same
        terms, as Microsoft does. Returns the replacement's catalog item id."""
        item = self.item(catalog_item_id)
        self._withdrawn.add(item.catalog_item_id.upper())
        if not replace:
            return None
        new = item.availability.model_copy(update={"id": secrets.token_hex(6).upper()})
        self._added.setdefault((item.product.id.upper(), item.sku.id.upper()), []).append(new)
        return f"{item.product.id}:{item.sku.id}:{new.id}"

    def supports(self, country: str | None) -> bool:
        """Whether the catalog is offered in `country` (ISO alpha-2)."""
        return country is not None and country.upper() == self.catalog.country.upper()

    def products(self) -> list[Product]:
        """Every product."""
        return list(self.catalog.products)

    def product(self, product_id: str) -> Product:
        """A product, or Microsoft's 404 / 400013."""
        product = self._products.get(product_id.upper())
        if product is None:
            raise not_found(f"Product {product_id} was not found.", PRODUCT_NOT_FOUND)
        return product

    def sku(self, product_id: str, sku_id: str) -> Sku:
        """A SKU, or Microsoft's 404 / 400018."""
        for sku in self.product(product_id).skus:
            if sku.id.upper() == sku_id.upper():
                return sku
        raise not_found(f"Sku {product_id}:{sku_id} was not found.", SKU_NOT_FOUND)

    def availability(self, product_id: str, sku_id: str, availability_id: str) -> Availability:
        """An availability, or Microsoft's 404 / 400019."""
        for availability in self.availabilities(product_id, sku_id):
            if availability.id.upper() == availability_id.upper():
                return availability
        raise not_found(
            f"Availability {product_id}:{sku_id}:{availability_id} was not found.",
            AVAILABILITY_NOT_FOUND,
        )

    def item(self, catalog_item_id: str) -> CatalogItem:
        """Resolve `productId:skuId:availabilityId`; an unknown part is a 404 with its code."""
        parts = catalog_item_id.split(":")
        if len(parts) != 3 or not all(parts):
            raise bad_request(
                f"CatalogItemId {catalog_item_id!r} is not of the form "
                "productId:skuId:availabilityId."
            )
        product_id, sku_id, availability_id = parts
        try:
            availability = self.availability(product_id, sku_id, availability_id)
        except PartnerCenterError as exc:
            # An outdated catalog item id: the client refreshes its catalog entry.
            raise not_found(
                f"Availability for catalog item {catalog_item_id} was not found.",
                AVAILABILITY_NOT_FOUND,
            ) from exc
        return CatalogItem(self.product(product_id), self.sku(product_id, sku_id), availability)


def check_term(item: CatalogItem, term_duration: str, billing_cycle: str) -> None:
    """Refuse a term duration or billing cycle the availability does not offer (400)."""
    for term in item.availability.terms:
        if term.duration.upper() == term_duration.upper():
            if billing_cycle.lower() in term.billing_cycles:
                return
            raise bad_request(
                f"Billing cycle {billing_cycle} is not supported for term {term_duration} of "
                f"{item.catalog_item_id}; supported: {', '.join(term.billing_cycles)}."
            )
    offered = ", ".join(t.duration for t in item.availability.terms)
    raise bad_request(
        f"Term duration {term_duration} is not offered for {item.catalog_item_id}; "
        f"offered: {offered}."
    )
