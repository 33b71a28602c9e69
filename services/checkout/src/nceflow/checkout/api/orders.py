"""The order routes: the customer's orders, their status, a new tenant's admin credentials once.
Handlers translate HTTP to use cases and back, nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from nceflow.checkout.api.common import PROBLEMS, CurrentCustomer, DraftId, Orders
from nceflow.checkout.api.errors import PROBLEM_JSON
from nceflow.checkout.api.schemas import (
    AdminCredentialsView,
    OrderList,
    OrderView,
    Problem,
)


def orders_router() -> APIRouter:
    """`/v1/orders…`."""
    router = APIRouter(prefix="/v1", responses=PROBLEMS)

    @router.get("/orders", response_model=OrderList, tags=["orders"])
    async def list_orders(
        orders: Orders,
        customer: CurrentCustomer,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        before: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    ) -> OrderList:
        """The customer's orders, newest first."""
        page = await orders.list_orders(customer, limit=limit, before_ms=before)
        next_before = int(page[-1].confirmed_at.timestamp() * 1000) if len(page) == limit else None
        states = [await orders.admin_credentials_state(order) for order in page]
        return OrderList(
            items=[OrderView.of(order, state) for order, state in zip(page, states, strict=True)],
            next_before=next_before,
        )

    @router.get("/orders/{order_id}", response_model=OrderView, tags=["orders"])
    async def get_order(order_id: DraftId, orders: Orders, customer: CurrentCustomer) -> OrderView:
        """One order: confirmed, processing, placed (with Partner Center ids) or failed."""
        order = await orders.get_order(customer, order_id)
        return OrderView.of(order, await orders.admin_credentials_state(order))

    @router.post(
        "/orders/{order_id}/admin-credentials",
        response_model=AdminCredentialsView,
        tags=["orders"],
        responses={
            409: PROBLEMS[409],
            410: {
                "model": Problem,
                "content": {PROBLEM_JSON: {}},
                "description": "Shown already, or expired unseen",
            },
        },
    )
    async def reveal_admin_credentials(
        order_id: DraftId, orders: Orders, customer: CurrentCustomer, response: Response
    ) -> AdminCredentialsView:
        """The new tenant's first admin and temporary password, **once**: Partner Center gives
        the password out when it creates the tenant, and this answer erases it. Microsoft asks
        for a new password at the first sign-in."""
        credentials = await orders.reveal_admin_credentials(customer, order_id)
        response.headers["Cache-Control"] = "no-store"
        return AdminCredentialsView(
            user_name=credentials.user_name, password=credentials.password.get_secret_value()
        )

    return router
