"""The rules a cart must follow before Partner Center accepts it (pure functions, no state)."""

from __future__ import annotations

from dataclasses import dataclass

from nceflow.partner_center_sim.api.errors import (
    ATTESTATION_MISSING,
    LINE_ATTESTATION_NOT_ACCEPTED,
    PARTICIPANTS_NOT_SUPPORTED,
    PROVIDER_NOT_VALID_AS_POR,
    RESELLER_PARTNER_ID_NOT_VALID,
    SEAT_LIMIT,
    PartnerCenterError,
    bad_request,
)
from nceflow.partner_center_sim.domain.catalog import CatalogIndex, check_term
from nceflow.partner_center_sim.domain.records import CartLine
from nceflow.partner_center_sim.domain.seed import Partner

TRANSACTION_RESELLER = "transaction_reseller"
ADDITIONAL_RESELLER = "additional_transaction_reseller"
MAX_ADDITIONAL_RESELLERS = 5


@dataclass(frozen=True, slots=True)
class NewCartLine:
    """A cart line as the caller sent it."""

    id: int | None
    catalog_item_id: str
    quantity: int
    billing_cycle: str
    term_duration: str | None
    participants: list[dict[str, str]]
    provisioning_context: dict[str, str]
    friendly_name: str | None
    attestation_accepted: bool | None = None


def check_lines(
    catalog: CatalogIndex, partner: Partner, lines: list[NewCartLine], attestation: bool
) -> list[CartLine]:
    """Validate a cart's lines against the catalog and the partner's model, and group them."""
    if not lines:
        raise bad_request("A cart needs at least one line item.")
    result: list[CartLine] = []
    groups: dict[str, str] = {}
    for index, line in enumerate(lines):
        item = catalog.item(line.catalog_item_id)
        if line.term_duration is None:
            raise bad_request(f"lineItems[{index}].termDuration is required.")
        check_term(item, line.term_duration, line.billing_cycle)
        if line.quantity < item.sku.minimum_quantity:
            raise bad_request(
                f"Quantity {line.quantity} is below the minimum "
                f"{item.sku.minimum_quantity} for {line.catalog_item_id}."
            )
        if line.quantity > item.sku.maximum_quantity:
            raise PartnerCenterError(
                403,
                SEAT_LIMIT,
                "The desired seat count exceeded the maximum seat count allowed per "
                f"subscription ({item.sku.maximum_quantity}).",
            )
        check_participants(partner, index, line.participants, attestation)
        # Lines billed alike are placed in one order, like Partner Center's order groups.
        group = groups.setdefault(line.billing_cycle.lower(), str(len(groups)))
        error = None
        if catalog.attestation_text(item.product.id, item.sku.id) and not line.attestation_accepted:
            # The cart is still created (201); the line carries the error and checking the
            # cart out is refused (800009) until the line is fixed.
            error = (
                LINE_ATTESTATION_NOT_ACCEPTED,
                f"The offer {item.catalog_item_id} requires its attestation to be accepted "
                "(attestationAccepted) on the cart line.",
            )
        result.append(
            CartLine(
                id=index if line.id is None else line.id,
                catalog_item_id=item.catalog_item_id,
                quantity=line.quantity,
                billing_cycle=line.billing_cycle.lower(),
                term_duration=line.term_duration.upper(),
                participants=line.participants,
                provisioning_context=line.provisioning_context,
                friendly_name=line.friendly_name,
                order_group=group,
                attestation_accepted=line.attestation_accepted,
                error=error,
            )
        )
    return result


def check_participants(
    partner: Partner, index: int, participants: list[dict[str, str]], attestation: bool
) -> None:
    """Every cart needs the Partner of Record attestation ("Create a cart":
    `PartnerOnRecordAttestationAccepted` is required, 900206 without it); indirect sales also
    name one reseller of this provider, direct ones none."""
    if not attestation:
        raise PartnerCenterError(400, ATTESTATION_MISSING, "Partner Attestation is missing")
    if partner.model == "direct":
        if participants:
            raise PartnerCenterError(
                400,
                PARTICIPANTS_NOT_SUPPORTED,
                "Setting participants is not supported for Partner.",
            )
        return
    keys = [p.get("key", "").lower() for p in participants]
    resellers = [p for p in participants if p.get("key", "").lower() == TRANSACTION_RESELLER]
    if len(resellers) != 1:
        raise PartnerCenterError(
            400,
            ATTESTATION_MISSING,
            "Partner Attestation is missing",
            [{"lineItem": index, "reason": "exactly one transaction_reseller is required"}],
        )
    if keys.count(ADDITIONAL_RESELLER) > MAX_ADDITIONAL_RESELLERS:
        raise bad_request(
            f"At most {MAX_ADDITIONAL_RESELLERS} additional_transaction_reseller entries "
            "are allowed."
        )
    unknown = [k for k in keys if k not in {TRANSACTION_RESELLER, ADDITIONAL_RESELLER}]
    if unknown:
        raise bad_request(f"Unknown participant key(s): {', '.join(unknown)}.")
    mpn = resellers[0].get("value", "")
    if mpn == partner.mpn_id:
        raise PartnerCenterError(
            404,
            PROVIDER_NOT_VALID_AS_POR,
            "MPN Id of Indirect Provider is not valid as Partner On Record",
        )
    if mpn not in {r.mpn_id for r in partner.resellers}:
        raise PartnerCenterError(
            400,
            RESELLER_PARTNER_ID_NOT_VALID,
            f"The partner id {mpn} is not valid: it is not an indirect reseller of this partner.",
        )
