"""Agreement metadata, customer agreement confirmations (MCA) and customer qualifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import AppUserDep, CallerDep, ContextDep
from nceflow.partner_center_sim.api.errors import bad_request
from nceflow.partner_center_sim.api.routes.common import create_under_lock
from nceflow.partner_center_sim.api.wire import RequestBody, collection, read_body
from nceflow.partner_center_sim.domain.records import AgreementRecord, QualificationRecord
from nceflow.partner_center_sim.domain.state import MCA, MCA_LINK, iso
from nceflow.runtime.clock import utc_now

router = APIRouter(tags=["agreements"])

MICROSOFT_CLOUD_AGREEMENT = "MicrosoftCloudAgreement"
# The MCA template id is seeded; the (legacy) Microsoft Cloud Agreement's is fixed here.
_MCLA_TEMPLATE_ID = "998b88de-aa99-4388-a42c-1b3517d49490"
_MCLA_LINK = "https://aka.ms/microsoftcloudagreement"
_QUALIFICATIONS = {
    "stateownedentity": "StateOwnedEntity",
    "education": "Education",
    "governmentcommunitycloud": "GovernmentCommunityCloud",
}


@router.get("/v1/agreements", summary="Get agreement metadata")
async def agreement_metadata(
    _: AppUserDep,
    ctx: ContextDep,
    agreement_type: str = Query(default=MICROSOFT_CLOUD_AGREEMENT, alias="agreementType"),
) -> dict[str, Any]:
    """Agreement templates; without `agreementType` Microsoft defaults to the MCLA."""
    known = {
        MCA: {
            "templateId": ctx.seed.mca_template_id,
            "agreementType": MCA,
            "agreementLink": MCA_LINK,
            "versionRank": 0,
        },
        MICROSOFT_CLOUD_AGREEMENT: {
            "templateId": _MCLA_TEMPLATE_ID,
            "agreementType": MICROSOFT_CLOUD_AGREEMENT,
            "agreementLink": _MCLA_LINK,
            "versionRank": 0,
        },
    }
    if agreement_type == "*":
        return collection(list(known.values()))
    for name, item in known.items():
        if name.lower() == agreement_type.lower():
            return collection([item])
    raise bad_request(f"Agreement type {agreement_type} is not supported.")


@router.get("/v1/customers/{customer_id}/agreements", summary="Get customer agreements")
async def customer_agreements(
    customer_id: str,
    caller: AppUserDep,
    ctx: ContextDep,
    agreement_type: str | None = Query(default=None, alias="agreementType"),
) -> dict[str, Any]:
    """Confirmations of customer acceptance, optionally of one agreement type."""
    record = ctx.state.customer(caller.partner, customer_id)
    items = [
        render.agreement(a)
        for a in record.agreements
        if agreement_type in (None, "*") or a.type.lower() == (agreement_type or "").lower()
    ]
    return collection(items)


class _Contact(RequestBody):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone_number: str | None = None


class _AgreementBody(RequestBody):
    primary_contact: _Contact
    template_id: str = Field(min_length=1)
    date_agreed: datetime
    type: str = Field(min_length=1)
    agreement_link: str | None = None


@router.post(
    "/v1/customers/{customer_id}/agreements",
    status_code=201,
    summary="Confirm customer acceptance of Microsoft Customer Agreement",
)
async def confirm_agreement(
    customer_id: str, request: Request, caller: AppUserDep, ctx: ContextDep
) -> Response:
    """Record that the customer accepted the MCA (the partner's attestation)."""
    body = await read_body(request, _AgreementBody)
    contact = {
        "firstName": body.primary_contact.first_name,
        "lastName": body.primary_contact.last_name,
        "email": body.primary_contact.email,
    }
    if body.primary_contact.phone_number:
        contact["phoneNumber"] = body.primary_contact.phone_number
    record = AgreementRecord(
        user_id=caller.user,
        primary_contact=contact,
        template_id=body.template_id,
        date_agreed=iso(body.date_agreed),
        type=body.type,
        agreement_link=body.agreement_link or MCA_LINK,
    )

    def create() -> tuple[int, dict[str, Any]]:
        stored = ctx.state.attest_agreement(caller.partner, customer_id, record)
        return 201, render.agreement(stored)

    return await create_under_lock(ctx, create)


@router.get("/v1/customers/{customer_id}/qualifications", summary="Get a customer's qualifications")
async def customer_qualifications(
    customer_id: str, caller: CallerDep, ctx: ContextDep
) -> list[dict[str, Any]]:
    """The customer's qualifications (an empty list when it has none). "Get a customer's
    qualification asynchronously": App-only and App+User credentials both work (creating one
    takes App+User)."""
    record = ctx.state.customer(caller.partner, customer_id)
    return [render.qualification(q) for q in record.qualifications]


class _QualificationBody(RequestBody):
    qualification: str = Field(min_length=1)
    education_segment: str | None = None
    website: str | None = None
    validation_code: str | None = None


@router.post(
    "/v1/customers/{customer_id}/qualifications",
    status_code=201,
    summary="Create a customer's qualification",
)
async def create_qualification(
    customer_id: str, request: Request, caller: AppUserDep, ctx: ContextDep
) -> Response:
    """Add StateOwnedEntity (approved at once), Education or GovernmentCommunityCloud."""
    body = await read_body(request, _QualificationBody)
    name = _QUALIFICATIONS.get(body.qualification.lower())
    if name is None:
        raise bad_request(f"Qualification {body.qualification} is not supported.")
    extra: dict[str, Any] = {}
    if name == "Education":
        if body.education_segment not in {"K12", "HigherEducation"}:
            raise bad_request("educationSegment must be K12 or HigherEducation.")
        extra = {"educationSegment": body.education_segment, "website": body.website}
    if name == "GovernmentCommunityCloud" and not body.validation_code:
        raise bad_request("validationCode is required for GovernmentCommunityCloud.")
    status = "Approved" if name == "StateOwnedEntity" else "InReview"
    record = QualificationRecord(name, status, iso(utc_now()), extra)

    def create() -> tuple[int, dict[str, Any]]:
        stored = ctx.state.add_qualification(caller.partner, customer_id, record)
        return 201, render.qualification(stored)

    return await create_under_lock(ctx, create)
