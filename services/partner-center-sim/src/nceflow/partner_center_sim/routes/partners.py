"""The indirect provider's resellers and address validation."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Query, Request

from nceflow.partner_center_sim import render
from nceflow.partner_center_sim.auth import AppUserDep, CallerDep
from nceflow.partner_center_sim.errors import bad_request
from nceflow.partner_center_sim.wire import RequestBody, collection, read_body

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
