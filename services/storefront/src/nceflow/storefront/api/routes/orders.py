"""The customer's orders; an order's page follows its status from confirmed to placed or failed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from nceflow.storefront.adapters.checkout_client import CheckoutClient, Order
from nceflow.storefront.api.errors import UpstreamProblem
from nceflow.storefront.api.pages import Pages
from nceflow.storefront.api.session import Customer, Session, signed_in, verified_form

SignedIn = Annotated[Customer, Depends(signed_in)]
Verified = Annotated[dict[str, Any], Depends(verified_form)]

STATUS_LABELS = {
    "confirmed": "Confirmed",
    "processing": "Being placed with Microsoft",
    "placed": "Placed",
    "failed": "Failed",
}


def is_settled(order: Order) -> bool:
    """Nothing more will change: failed, or placed and provisioned (subscription ids known)."""
    if order.status == "failed":
        return True
    if order.status != "placed":
        return False
    return order.partner_center is None or order.partner_center.provisioning != "pending"


def status_key(order: Order) -> str:
    """Changes whenever what the status section shows changes."""
    record = order.partner_center
    subscriptions = len(record.subscription_ids) if record else 0
    provisioning = record.provisioning if record else None
    admin = order.admin_credentials.state if order.admin_credentials else None
    return f"{order.status}:{provisioning}:{subscriptions}:{admin}"


def orders_router(pages: Pages, checkout: CheckoutClient, poll_interval_ms: int) -> APIRouter:
    """`GET /orders`, `GET /orders/{id}` and its status fragment `GET /orders/{id}/status`."""
    router = APIRouter()
    status_fragment = pages.templates.get_template("_order_status.html")

    def fragment(order: Order, csrf_token: str) -> str:
        return status_fragment.render(
            order=order, status_labels=STATUS_LABELS, csrf_token=csrf_token
        )

    @router.get("/orders", response_class=HTMLResponse)
    async def orders(request: Request, customer: SignedIn) -> HTMLResponse:
        """Every order of the customer, newest first."""
        items = await checkout.list_orders(customer.token)
        return pages.render(
            request,
            "orders.html",
            {"title": "Orders", "nav": "orders", "orders": items, "status_labels": STATUS_LABELS},
        )

    @router.get("/orders/{order_id}", response_class=HTMLResponse)
    async def order(request: Request, order_id: str, customer: SignedIn) -> HTMLResponse:
        """One order; its status section refreshes itself until the order is placed or failed."""
        found = await checkout.get_order(customer.token, order_id)
        return pages.render(
            request,
            "order.html",
            {
                "title": f"Order {found.order_id[:8]}",
                "nav": "orders",
                "order": found,
                "status_html": fragment(found, Session(request).csrf_token),
                "final": is_settled(found),
                "status_key": status_key(found),
                "poll_ms": poll_interval_ms,
            },
        )

    @router.get("/orders/{order_id}/status")
    async def order_status(request: Request, order_id: str, customer: SignedIn) -> JSONResponse:
        """The order's status and its rendered section, for the page's polling script."""
        found = await checkout.get_order(customer.token, order_id)
        return JSONResponse(
            {
                "status": found.status,
                "key": status_key(found),
                "final": is_settled(found),
                "html": fragment(found, Session(request).csrf_token),
            },
            headers={"Cache-Control": "no-store"},
        )

    @router.post("/orders/{order_id}/admin-credentials", response_model=None)
    async def admin_credentials(
        request: Request, order_id: str, customer: SignedIn, _: Verified
    ) -> Response:
        """Show the new tenant's admin password, once; asked again, the order page says why
        it is not shown."""
        try:
            shown = await checkout.reveal_admin_credentials(customer.token, order_id)
        except UpstreamProblem as problem:
            if problem.status not in (404, 409, 410):
                raise
            Session(request).notify(problem.detail or problem.title)
            return RedirectResponse(f"/orders/{order_id}", status_code=303)
        found = await checkout.get_order(customer.token, order_id)
        return pages.render(
            request,
            "admin_credentials.html",
            {
                "title": "Your administrator account",
                "nav": "orders",
                "order": found,
                "admin": shown,
            },
        )

    return router
