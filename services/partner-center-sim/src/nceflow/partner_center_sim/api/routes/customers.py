"""Domains, customers and reseller relationship requests."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import AppUserDep, CallerDep, ContextDep, ensure_app_user
from nceflow.partner_center_sim.api.errors import PartnerCenterError, bad_request
from nceflow.partner_center_sim.api.routes.common import create_under_lock
from nceflow.partner_center_sim.api.wire import RequestBody, attributes, collection, link, read_body
from nceflow.partner_center_sim.domain.customer_rules import (
    phone_number_problem,
    registration_number_problem,
)
from nceflow.partner_center_sim.domain.records import CustomerRecord
from nceflow.partner_center_sim.domain.state import NewCustomer

router = APIRouter(tags=["customers"])

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 500
_FILTER_FIELDS = {"domain", "companyname", "indirectreseller", "indirectcloudsolutionprovider"}


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(alias="Field")
    value: str = Field(alias="Value")
    operator: str = Field(alias="Operator")


def _parse_filter(raw: str | None) -> _Filter | None:
    if raw is None:
        return None
    try:
        document = json.loads(raw)
        query = _Filter.model_validate(
            {k[:1].upper() + k[1:]: v for k, v in document.items()}
            if isinstance(document, dict)
            else document
        )
    except (ValueError, ValidationError) as exc:
        raise bad_request(
            'The filter must be URL-encoded JSON such as {"Field":"Domain","Value":"contoso",'
            '"Operator":"starts_with"}.'
        ) from exc
    if query.field.lower() not in _FILTER_FIELDS:
        raise bad_request(f"Customers cannot be filtered by {query.field}.")
    if query.operator.lower() != "starts_with":
        raise bad_request("The only supported filter operator is starts_with.")
    return query


def _matches(record: CustomerRecord, query: _Filter) -> bool:
    # Microsoft matches a prefix and ignores case: an exact domain needs the caller's check.
    value = query.value.lower()
    field = query.field.lower()
    if field == "domain":
        return record.domain.startswith(value)
    if field == "companyname":
        return record.company_name.lower().startswith(value)
    associated = [
        (p.associated_partner_id or "").lower()
        for p in record.partners.values()
        if p.associated_partner_id
    ]
    return any(a.startswith(value) for a in associated)


def _encode_token(offset: int, raw_filter: str | None) -> str:
    document = json.dumps({"o": offset, "f": raw_filter}).encode()
    return base64.urlsafe_b64encode(document).decode()


def _decode_token(token: str) -> tuple[int, str | None]:
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(document["o"]), document.get("f")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise bad_request("The MS-ContinuationToken header is not valid.") from exc


@router.head("/v1/domains/{domain}", summary="Verify domain availability")
async def domain_availability(domain: str, _: CallerDep, ctx: ContextDep) -> Response:
    """200 when a tenant already uses the domain, 404 when it is available."""
    return Response(status_code=200 if ctx.state.domain_taken(domain) else 404)


@router.get("/v1/customers/relationshiprequests", summary="Request a reseller relationship")
async def relationship_request(caller: AppUserDep) -> dict[str, Any]:
    """The link a customer's global admin opens to accept the partner as reseller."""
    url = (
        "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"
        f"&partnerId={caller.partner.tenant_id}&msppId=0&DAP=false"
        "#/BillingAccounts/partner-invitation"
    )
    return {"url": url, "attributes": attributes("RelationshipRequest")}


@router.get("/v1/customers", summary="Get a list of customers (optionally filtered)")
async def list_customers(
    request: Request,
    caller: CallerDep,
    ctx: ContextDep,
    size: int = Query(default=0, ge=0),
    filter: str | None = Query(default=None),
) -> dict[str, Any]:
    """The partner's customers; `filter` is Microsoft's URL-encoded JSON prefix filter."""
    token = request.headers.get("ms-continuationtoken")
    offset = 0
    if token:
        offset, token_filter = _decode_token(token)
        filter = filter or token_filter
    query = _parse_filter(filter)
    page_size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    matching = [
        c
        for c in sorted(ctx.state.visible_customers(caller.partner), key=lambda c: c.domain)
        if query is None or _matches(c, query)
    ]
    page = matching[offset : offset + page_size]
    self_uri = f"/customers?size={size}"
    if filter is not None:
        self_uri += f"&filter={quote(filter, safe='')}"
    links: dict[str, Any] = {"self": link(self_uri)}
    next_token: str | None = None
    if offset + page_size < len(matching):
        next_token = _encode_token(offset + page_size, filter)
        links["next"] = link(
            f"/customers?size={size}&seekOperation=Next",
            headers=[{"key": "MS-ContinuationToken", "value": next_token}],
        )
    return collection(
        [render.customer(c, caller.partner.key) for c in page],
        total_count=len(page),
        links=links,
        continuation_token=next_token,
    )


@router.get(
    "/v1/customers/{customer_id}/relationships", summary="Get indirect resellers of a customer"
)
async def customer_resellers(
    customer_id: str, caller: AppUserDep, ctx: ContextDep
) -> dict[str, Any]:
    """The indirect resellers the customer has a relationship with, through the caller (App+User
    only, as the page says); a direct partner's customers have none."""
    record = ctx.state.customer(caller.partner, customer_id)
    link_ = record.partners.get(caller.partner.key)
    linked = link_.resellers() if link_ else set()
    return collection(
        [
            render.indirect_reseller(r, "is_indirect_reseller_of")
            for r in caller.partner.resellers
            if r.partner_id.lower() in linked
        ]
    )


@router.get("/v1/customers/{customer_id}", summary="Get a customer by ID")
async def get_customer(customer_id: str, caller: CallerDep, ctx: ContextDep) -> dict[str, Any]:
    """One customer; `relationshipToPartner` says whether the partner may sell to it."""
    record = ctx.state.customer(caller.partner, customer_id)
    return render.customer(record, caller.partner.key, with_billing=True)


class _Address(RequestBody):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    address_line1: str = Field(min_length=1)
    address_line2: str | None = None
    city: str = Field(min_length=1)
    state: str | None = None
    postal_code: str = Field(min_length=1)
    country: str = Field(min_length=2, max_length=2)
    phone_number: str | None = None


class _BillingProfile(RequestBody):
    culture: str = Field(min_length=2)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: str = Field(min_length=2)
    company_name: str = Field(min_length=1, max_length=256)
    default_address: _Address


class _CompanyProfile(RequestBody):
    # A new tenant is `<prefix>.onmicrosoft.com`; the sandbox also takes test domains.
    domain: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}(\.[A-Za-z0-9-]{1,63})+$")
    organization_registration_number: str | None = None


class _NewCustomerBody(RequestBody):
    company_profile: _CompanyProfile
    billing_profile: _BillingProfile
    associated_partner_id: str | None = None


@router.post("/v1/customers", status_code=201, summary="Create a customer")
async def create_customer(request: Request, caller: CallerDep, ctx: ContextDep) -> Response:
    """Create a customer tenant; the answer carries the one-time admin credentials.

    For an indirect reseller (`associatedPartnerId`) App+User credentials only, as "Create a
    customer for an indirect reseller" says; a direct partner's creation takes either."""
    body = await read_body(request, _NewCustomerBody)
    if body.associated_partner_id is not None:
        ensure_app_user(caller)
    address = body.billing_profile.default_address
    number = body.company_profile.organization_registration_number
    problem = registration_number_problem(address.country, number) or phone_number_problem(
        address.country, address.phone_number
    )
    if problem is not None:
        raise PartnerCenterError(400, problem[0], problem[1])
    new = NewCustomer(
        domain=body.company_profile.domain.lower(),
        company_name=body.billing_profile.company_name,
        email=str(body.billing_profile.email),
        culture=body.billing_profile.culture,
        language=body.billing_profile.language,
        address={
            "country": address.country.upper(),
            "city": address.city,
            "state": address.state or "",
            "addressLine1": address.address_line1,
            **({"addressLine2": address.address_line2} if address.address_line2 else {}),
            "postalCode": address.postal_code,
            "firstName": address.first_name,
            "lastName": address.last_name,
            "phoneNumber": address.phone_number or "",
        },
        associated_partner_id=body.associated_partner_id,
        organization_registration_number=number.strip() if number else None,
    )

    def create() -> tuple[int, dict[str, Any]]:
        record, password = ctx.state.create_customer(caller.partner, new)
        # Microsoft's sample answer shows relationshipToPartner "none" on creation; a
        # subsequent GET shows the reseller relationship the creation established.
        rendered = render.customer(
            record, caller.partner.key, with_billing=True, relationship="none"
        )
        rendered["userCredentials"] = {"userName": "admin", "password": password}
        rendered["attributes"] = rendered.pop("attributes")
        return 201, rendered

    return await create_under_lock(ctx, create)
