"""Carts and checkout ("Create a cart with a customer order", "Checkout a cart").

Checkout is idempotent per cart, as Microsoft documents: checking out a cart that is already
`Ordered` creates nothing, and answers with the first checkout's result or with 400 / 800065
(`repeat_checkout`); the same `MS-RequestId` again gets the first answer (`replays`). A checkout
that arrives while another one of the same cart is still processing gets 409 / 800064.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field, StrictBool, StrictInt, StrictStr

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import CallerDep, ContextDep
from nceflow.partner_center_sim.api.errors import CART_ALREADY_ORDERED, PartnerCenterError
from nceflow.partner_center_sim.api.routes.common import create_under_lock
from nceflow.partner_center_sim.api.wire import RequestBody, attributes, json_response, read_body
from nceflow.partner_center_sim.domain.purchase_rules import NewCartLine
from nceflow.partner_center_sim.settings import RepeatCheckout
from nceflow.runtime.clock import utc_now

router = APIRouter(tags=["carts"])


class _Participant(RequestBody):
    key: StrictStr
    value: StrictStr


class _Line(RequestBody):
    id: StrictInt | None = None
    catalog_item_id: StrictStr = Field(min_length=1)
    quantity: StrictInt = Field(ge=1)
    billing_cycle: StrictStr
    term_duration: StrictStr | None = None
    participants: list[_Participant] = Field(default_factory=list)
    provisioning_context: dict[str, StrictStr] = Field(default_factory=dict)
    friendly_name: StrictStr | None = None
    attestation_accepted: StrictBool | None = None


class _CartBody(RequestBody):
    line_items: list[_Line] = Field(min_length=1)
    partner_on_record_attestation_accepted: StrictBool = False


def _lines(body: _CartBody) -> list[NewCartLine]:
    return [
        NewCartLine(
            id=line.id,
            catalog_item_id=line.catalog_item_id,
            quantity=line.quantity,
            billing_cycle=line.billing_cycle,
            term_duration=line.term_duration,
            participants=[{"key": p.key, "value": p.value} for p in line.participants],
            provisioning_context=dict(line.provisioning_context),
            friendly_name=line.friendly_name,
            attestation_accepted=line.attestation_accepted,
        )
        for line in body.line_items
    ]


@router.post("/v1/customers/{customer_id}/carts", status_code=201, summary="Create a cart")
async def create_cart(
    customer_id: str, request: Request, caller: CallerDep, ctx: ContextDep
) -> Response:
    """Create an Active cart (expires 7 days after creation)."""
    body = await read_body(request, _CartBody)
    currency = ctx.seed.catalog.currency.code

    def create() -> tuple[int, dict[str, Any]]:
        cart = ctx.state.create_cart(
            caller.partner,
            customer_id,
            _lines(body),
            body.partner_on_record_attestation_accepted,
            caller.user,
        )
        return 201, render.cart(cart, currency)

    return await create_under_lock(ctx, create)


@router.get("/v1/customers/{customer_id}/carts/{cart_id}", summary="Get a cart")
async def get_cart(
    customer_id: str, cart_id: str, caller: CallerDep, ctx: ContextDep
) -> dict[str, Any]:
    """A cart; `status` `Ordered` means its checkout went through."""
    cart = ctx.state.cart(caller.partner, customer_id, cart_id)
    return render.cart(cart, ctx.seed.catalog.currency.code)


@router.put("/v1/customers/{customer_id}/carts/{cart_id}", summary="Update a cart")
async def update_cart(
    customer_id: str, cart_id: str, request: Request, caller: CallerDep, ctx: ContextDep
) -> dict[str, Any]:
    """Replace the line items of an Active cart."""
    body = await read_body(request, _CartBody)
    async with ctx.state.lock:
        cart = ctx.state.update_cart(
            caller.partner,
            customer_id,
            cart_id,
            _lines(body),
            body.partner_on_record_attestation_accepted,
            caller.user,
        )
    return render.cart(cart, ctx.seed.catalog.currency.code)


@router.post(
    "/v1/customers/{customer_id}/carts/{cart_id}/checkout",
    status_code=201,
    summary="Checkout a cart",
)
async def checkout(
    customer_id: str, cart_id: str, request: Request, caller: CallerDep, ctx: ContextDep
) -> Response:
    """Place the cart's orders; a repeat returns the first answer (`CartCheckoutResult`)."""
    state = ctx.state
    async with state.lock:
        cart = state.begin_checkout(caller.partner, customer_id, cart_id)
        if cart.status == "Ordered" and cart.checkout_result is not None:
            # A new checkout (a new MS-RequestId) of an Ordered cart: Microsoft documents both
            # answers, the first result again ("Checkout a cart") and 400 / 800065.
            if ctx.config.repeat_checkout is RepeatCheckout.ALREADY_SUBMITTED:
                raise PartnerCenterError(
                    400,
                    CART_ALREADY_ORDERED,
                    f"Can't check out an already submitted cart {cart.id}.",
                )
            return json_response(cart.checkout_result, 201)
    try:
        if ctx.config.checkout_processing_seconds > 0:
            await asyncio.sleep(ctx.config.checkout_processing_seconds)
    except BaseException:
        async with state.lock:
            state.abort_checkout(cart)
        raise
    async with state.lock:
        rule = ctx.faults.pick("POST", request.url.path, order_errors=True)
        order_errors: list[dict[str, Any]] = []
        if rule is not None:
            order_errors = [
                {"orderGroupId": "0", "code": rule.code, "description": rule.description}
            ]
        if order_errors and all(line.order_group == "0" for line in cart.lines):
            # Nothing was ordered: the cart stays Active so that checkout can be run again.
            state.abort_checkout(cart)
            return json_response(
                {
                    "orders": [],
                    "orderErrors": order_errors,
                    "attributes": attributes("CartCheckoutResult"),
                },
                201,
            )
        orders = state.complete_checkout(
            caller.partner,
            cart,
            timedelta(seconds=ctx.config.order_completion_seconds),
            order_errors,
        )
        now = utc_now()
        result: dict[str, Any] = {"orders": [render.order(o, now) for o in orders]}
        if order_errors:
            result["orderErrors"] = order_errors
        result["attributes"] = attributes("CartCheckoutResult")
        cart.checkout_result = result
    return json_response(result, 201)
