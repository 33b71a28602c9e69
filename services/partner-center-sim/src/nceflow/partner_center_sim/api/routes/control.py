"""The simulator's own control and inspection API under `/_sim/` (not Microsoft's).

Tests use it to start clean (`reset`), to act as the customer (accept a relationship), to move
time along (complete an order, expire a cart), to inject faults, and to prove outcomes such as
"exactly one order" from the simulator's side.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import ContextDep
from nceflow.partner_center_sim.api.errors import bad_request, not_found
from nceflow.partner_center_sim.api.faults import FaultRule, FaultRuleSpec
from nceflow.partner_center_sim.api.requestlog import LoggedRequest
from nceflow.partner_center_sim.domain.runtime_config import RuntimeConfig, RuntimeConfigPatch
from nceflow.partner_center_sim.domain.state import iso
from nceflow.runtime.clock import utc_now

router = APIRouter(prefix="/_sim", tags=["simulator control (not Microsoft's API)"])


class RequestLogPage(BaseModel):
    """Logged requests, oldest first."""

    items: list[LoggedRequest]


class FaultRules(BaseModel):
    """The registered fault rules."""

    items: list[FaultRule]


@router.post("/reset", summary="Back to the seed")
async def reset(ctx: ContextDep) -> dict[str, str]:
    """Seeded data only, no carts, orders, faults or logged requests, default configuration."""
    async with ctx.state.lock:
        ctx.reset()
    return {"status": "reset"}


@router.get("/seed", summary="The seed, including the seeded credentials")
async def seed(ctx: ContextDep) -> dict[str, Any]:
    """The seed file's content (a simulator has no secrets worth keeping)."""
    document = ctx.seed.model_dump(mode="json", by_alias=True)
    for partner, original in zip(document["partners"], ctx.seed.partners, strict=True):
        partner["app"]["clientSecret"] = original.app.client_secret.get_secret_value()
        partner["app"]["refreshToken"] = original.app.refresh_token.get_secret_value()
    return document


@router.get("/catalog", summary="The seeded catalog with list prices")
async def catalog(ctx: ContextDep) -> dict[str, Any]:
    """Products, SKUs, availabilities, terms and USD prices (prices are not in Microsoft's API)."""
    return ctx.seed.catalog.model_dump(mode="json", by_alias=True)


class WithdrawAvailability(BaseModel):
    """An availability to withdraw from the catalog."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    catalog_item_id: str = Field(min_length=5, max_length=200)
    replace: bool = True
    """Publish a new availability with the same terms (Microsoft's usual change of id)."""


@router.post("/catalog/withdraw", summary="Withdraw an availability (optionally replace it)")
async def withdraw_availability(body: WithdrawAvailability, ctx: ContextDep) -> dict[str, Any]:
    """Carts holding the withdrawn `catalogItemId` get 404 / 400019 at checkout; with `replace`
    the SKU lists an availability with a new id and the same terms."""
    async with ctx.state.lock:
        replacement = ctx.state.catalog.withdraw(body.catalog_item_id, replace=body.replace)
    return {"withdrawn": body.catalog_item_id, "replacement": replacement}


class RequireAttestation(BaseModel):
    """A SKU whose offer enforces an attestation on every cart line."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    product_id: str = Field(min_length=1, max_length=50)
    sku_id: str = Field(min_length=1, max_length=50)
    attestation_text: str = Field(
        default="I attest that the customer is eligible for this offer.", min_length=1
    )


@router.post("/catalog/attestation", summary="Make a SKU enforce an attestation on cart lines")
async def require_attestation(body: RequireAttestation, ctx: ContextDep) -> dict[str, Any]:
    """The SKU shows `attestationProperties.enforceAttestation`; a cart line of it without
    `attestationAccepted: true` gets `error` 10012 and the cart's checkout 400 / 800009."""
    async with ctx.state.lock:
        ctx.state.catalog.require_attestation(body.product_id, body.sku_id, body.attestation_text)
    return {"productId": body.product_id, "skuId": body.sku_id, "enforceAttestation": True}


@router.get("/config", summary="The runtime configuration")
async def get_config(ctx: ContextDep) -> RuntimeConfig:
    """Token lifetime, order completion delay, rate limit, checkout and lost-response timing."""
    return ctx.config


@router.patch("/config", summary="Change the runtime configuration (until reset)")
async def patch_config(patch: RuntimeConfigPatch, ctx: ContextDep) -> RuntimeConfig:
    """Change some knobs; `POST /_sim/reset` restores the settings' values."""
    for name, value in patch.model_dump(exclude_none=True).items():
        setattr(ctx.config, name, value)
    return ctx.config


@router.get("/requests", summary="The request log")
async def requests(
    ctx: ContextDep,
    method: str | None = None,
    path: str | None = Query(default=None, description="Glob, e.g. /v1/customers/*/carts"),
    request_id: str | None = Query(default=None, alias="requestId"),
    correlation_id: str | None = Query(default=None, alias="correlationId"),
    status: int | None = None,
    since: int | None = Query(default=None, description="Only entries after this seq"),
) -> RequestLogPage:
    """Requests the simulator received (method, path, MS-RequestId, MS-CorrelationId, status)."""
    return RequestLogPage(
        items=ctx.requests.query(
            method=method,
            path=path,
            request_id=request_id,
            correlation_id=correlation_id,
            status=status,
            since=since,
        )
    )


@router.delete("/requests", status_code=204, summary="Clear the request log")
async def clear_requests(ctx: ContextDep) -> None:
    """Forget logged requests."""
    ctx.requests.clear()


@router.get("/customers", summary="Every customer tenant")
async def customers(ctx: ContextDep) -> dict[str, Any]:
    """Customers with their relationships, MCA state and qualifications."""
    items = [
        {
            "id": c.id,
            "domain": c.domain,
            "companyName": c.company_name,
            "country": c.address.get("country"),
            "organizationRegistrationNumber": c.organization_registration_number,
            "relationships": {
                key: {
                    "relationshipToPartner": link.relationship,
                    "associatedPartnerId": link.associated_partner_id,
                }
                for key, link in c.partners.items()
            },
            "mcaAccepted": any(a.type == "MicrosoftCustomerAgreement" for a in c.agreements),
            "qualifications": [q.qualification for q in c.qualifications],
        }
        for c in ctx.state.customers.values()
    ]
    return {"items": items}


@router.post(
    "/customers/{customer_id}/accept-relationship",
    summary="Act as the customer's global admin accepting the reseller relationship",
)
async def accept_relationship(
    customer_id: str,
    ctx: ContextDep,
    partner: str | None = Query(default=None, description="Partner key; all when omitted"),
    reseller: str | None = Query(
        default=None,
        description="An indirect reseller's partner id: its IndirectResellerRelationship link",
    ),
) -> dict[str, Any]:
    """The customer accepts the relationship link (for one partner key, or all it knows; with
    `reseller`, an indirect reseller's link through its provider, `partner`)."""
    async with ctx.state.lock:
        try:
            record = ctx.state.accept_relationship(customer_id, partner, reseller)
        except KeyError as exc:
            raise bad_request(f"Unknown partner key {partner!r}.") from exc
    return {
        "id": record.id,
        "relationships": {k: v.relationship for k, v in record.partners.items()},
    }


@router.get("/customers/{customer_id}/orders", summary="Every order of a customer")
async def customer_orders(customer_id: str, ctx: ContextDep) -> dict[str, Any]:
    """All orders of the customer, whichever partner placed them."""
    now = utc_now()
    orders = ctx.state.customer_orders(customer_id)
    return {
        "items": [
            {**render.order(o, now), "partner": o.partner_key, "cartId": o.cart_id} for o in orders
        ]
    }


@router.get("/customers/{customer_id}/carts", summary="Every cart of a customer")
async def customer_carts(customer_id: str, ctx: ContextDep) -> dict[str, Any]:
    """All carts of the customer, including expired ones."""
    currency = ctx.seed.catalog.currency.code
    carts = sorted(
        (c for c in ctx.state.carts.values() if c.customer_id == customer_id.lower()),
        key=lambda c: c.creation,
    )
    return {
        "items": [
            {**render.cart(c, currency), "partner": c.partner_key, "checkingOut": c.checking_out}
            for c in carts
        ]
    }


@router.post(
    "/customers/{customer_id}/carts/{cart_id}/expire", summary="Make an Active cart expire now"
)
async def expire_cart(customer_id: str, cart_id: str, ctx: ContextDep) -> dict[str, Any]:
    """Move the cart's expiration into the past (as if 7 days had passed)."""
    async with ctx.state.lock:
        cart = ctx.state.carts.get(cart_id.lower())
        if cart is None or cart.customer_id != customer_id.lower():
            raise not_found(f"Cart {cart_id} was not found.")
        cart.expiration = utc_now() - timedelta(seconds=1)
    return {"id": cart.id, "status": cart.status, "expirationTimestamp": iso(cart.expiration)}


@router.get("/orders", summary="Every order")
async def orders(ctx: ContextDep) -> dict[str, Any]:
    """All orders of all customers, oldest first."""
    now = utc_now()
    items = sorted(ctx.state.orders.values(), key=lambda o: o.creation)
    return {
        "items": [
            {**render.order(o, now), "partner": o.partner_key, "cartId": o.cart_id} for o in items
        ]
    }


@router.post("/orders/{order_id}/complete", summary="Finish provisioning an order now")
async def complete_order(order_id: str, ctx: ContextDep) -> dict[str, Any]:
    """The order becomes `completed` and its lines get their subscription ids."""
    async with ctx.state.lock:
        order = ctx.state.orders.get(order_id)
        if order is None:
            raise not_found(f"Order Id {order_id} not found", 20000)
        now = utc_now()
        order.completes_at = min(order.completes_at, now)
    return render.order(order, now)


class SetOrderStatus(BaseModel):
    """A status from "Order resources" (`OrderStatus`) for an order to show from now on."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[
        "pending",
        "completed",
        "cancelled",
        "error",
        "partial success",
        "pending review",
        "suspended",
        "po_upload_complete",
    ]


@router.post("/orders/{order_id}/status", summary="End (or hold) an order in any status")
async def set_order_status(order_id: str, body: SetOrderStatus, ctx: ContextDep) -> dict[str, Any]:
    """The order reads `status` from now on: `error` / `cancelled` with no subscriptions,
    `partial success` with a subscription on its first line only, `completed` with all."""
    async with ctx.state.lock:
        order = ctx.state.orders.get(order_id)
        if order is None:
            raise not_found(f"Order Id {order_id} not found", 20000)
        order.set_status = body.status
        return render.order(order, utc_now())


@router.post("/faults", status_code=201, summary="Inject a fault")
async def add_fault(spec: FaultRuleSpec, ctx: ContextDep) -> FaultRule:
    """Register a fault rule (see `faults.py` for the kinds; `error` answers a documented
    refusal with the rule's `status`, `code` and `description`)."""
    return ctx.faults.add(spec)


@router.get("/faults", summary="The fault rules and their hit counts")
async def list_faults(ctx: ContextDep) -> FaultRules:
    """Registered fault rules."""
    return FaultRules(items=ctx.faults.rules())


@router.delete("/faults", status_code=204, summary="Remove every fault rule")
async def clear_faults(ctx: ContextDep) -> None:
    """No more faults."""
    ctx.faults.reset()
