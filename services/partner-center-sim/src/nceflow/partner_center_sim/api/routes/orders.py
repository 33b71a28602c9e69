"""Orders: read one, list a customer's, and their provisioning status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from nceflow.partner_center_sim.api import render
from nceflow.partner_center_sim.api.auth import AppUserDep, CallerDep, ContextDep
from nceflow.partner_center_sim.api.wire import collection, link
from nceflow.runtime.clock import utc_now

router = APIRouter(tags=["orders"])


@router.get("/v1/customers/{customer_id}/orders", summary="Get all of a customer's orders")
async def list_orders(customer_id: str, caller: CallerDep, ctx: ContextDep) -> dict[str, Any]:
    """The customer's orders placed by this partner, once they have reached the list.

    Microsoft warns that a new order can take up to 15 minutes to appear here; the delay is
    `order_list_delay_seconds` (0 by default).
    """
    customer = ctx.state.customer(caller.partner, customer_id)
    now = utc_now()
    listed_before = now - timedelta(seconds=ctx.config.order_list_delay_seconds)
    orders = [
        render.order(o, now)
        for o in ctx.state.customer_orders(customer.id)
        if o.partner_key == caller.partner.key and o.creation <= listed_before
    ]
    return collection(orders, links={"self": link(f"/customers/{customer.id}/orders")})


@router.get("/v1/customers/{customer_id}/orders/{order_id}", summary="Get an order by ID")
async def get_order(
    customer_id: str, order_id: str, caller: CallerDep, ctx: ContextDep
) -> dict[str, Any]:
    """An order: `pending` until provisioned, then `completed` with subscription ids."""
    return render.order(ctx.state.order(caller.partner, customer_id, order_id), utc_now())


@router.get(
    "/v1/customers/{customer_id}/orders/{order_id}/provisioningstatus",
    summary="Get order provisioning status",
)
async def provisioning_status(
    customer_id: str, order_id: str, caller: AppUserDep, ctx: ContextDep
) -> dict[str, Any]:
    """Each line's provisioning status ("Get order provisioning status": App+User only)."""
    order = ctx.state.order(caller.partner, customer_id, order_id)
    return collection(render.provisioning_status(order, utc_now()))
