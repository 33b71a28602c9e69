"""The indirect provider's resellers and address validation."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import AppUserDep, CallerDep
from nceflow.partner_center_sim.api.errors import bad_request
from nceflow.partner_center_sim.api.wire import RequestBody, collection, read_body

router = APIRouter(tags=["partners"])

# fmt: off
_US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL",
    "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT",
    "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI",
    "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC", "PR",
})
# fmt: on
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


@router.get("/v1/relationships", summary="Get indirect resellers")
async def indirect_resellers(
    caller: AppUserDep,
    relationship_type: str = Query(alias="relationship_type"),
) -> dict[str, Any]:
    """The indirect provider's resellers (`IsIndirectCloudSolutionProviderOf`)."""
    if relationship_type.lower() == "isindirectcloudsolutionproviderof":
        return collection([render.indirect_reseller(r) for r in caller.partner.resellers])
    if relationship_type.lower() == "isindirectresellerof":
        return collection([])
    raise bad_request(f"relationship_type {relationship_type} is not supported.")


# "Validate reseller partner of record (POR)": a PLA id that is not an authorized indirect
# reseller of the caller gets `isValidPartnerIdOnRecord: false` with this code.
RESELLER_NOT_VALID = 900400


class _ValidateResellersBody(RequestBody):
    partner_ids: list[str] = Field(min_length=1, max_length=100)


@router.post("/v1/partners/validateresellers", summary="Validate reseller partner of record")
async def validate_resellers(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Whether each partner (PLA) id is an authorized indirect reseller of the caller, one
    result per id in the order asked ("Validate reseller partner of record (POR)")."""
    body = await read_body(request, _ValidateResellersBody)
    authorized = {r.mpn_id for r in caller.partner.resellers}
    results: list[dict[str, Any]] = []
    for partner_id in body.partner_ids:
        if partner_id in authorized:
            results.append({"partnerId": partner_id, "isValidPartnerIdOnRecord": True})
        else:
            results.append(
                {
                    "partnerId": partner_id,
                    "isValidPartnerIdOnRecord": False,
                    "errorCode": RESELLER_NOT_VALID,
                    "errorDescription": (
                        f"The PLA ID (formerly MPN ID) {partner_id} is not associated with an "
                        "authorized indirect reseller of this partner."
                    ),
                }
            )
    return {"validationResults": results}


class _AddressBody(RequestBody):
    address_line1: str
    address_line2: str | None = None
    address_line3: str | None = None
    city: str
    state: str | None = None
    postal_code: str | None = None
    country: str


@router.post("/v1/validations/address", summary="Validate an address")
async def validate_address(request: Request, _: CallerDep) -> dict[str, Any]:
    """Check a US address's state and ZIP code (other countries are accepted unchecked)."""
    body = await read_body(request, _AddressBody)
    original = {
        "addressLine1": body.address_line1,
        "city": body.city,
        "state": body.state or "",
        "postalCode": body.postal_code or "",
        "country": body.country.upper(),
    }
    if body.address_line2:
        original["addressLine2"] = body.address_line2
    problems: list[str] = []
    if len(body.country) != 2:
        problems.append("Country must be an ISO alpha-2 code.")
    elif body.country.upper() == "US":
        if (body.state or "").upper() not in _US_STATES:
            problems.append(f"State {body.state!r} is not a US state code.")
        if not _US_ZIP.match(body.postal_code or ""):
            problems.append(f"Postal code {body.postal_code!r} is not a US ZIP code.")
    if problems:
        return {
            "originalAddress": original,
            "suggestedAddresses": [],
            "status": "NotValidated",
            "validationMessage": " ".join(problems),
        }
    return {
        "originalAddress": original,
        "suggestedAddresses": [original],
        "status": "VerifiedShippable",
    }
