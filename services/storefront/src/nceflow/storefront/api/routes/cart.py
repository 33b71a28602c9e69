"""Seed steps 3-4: "Add to Cart", then the cart with quantities and totals, then "Next".

The cart is the `cart` step of a checkout draft: "Add to Cart" starts the draft (or saves its cart
step again), so nothing but the draft's id lives in the session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nceflow.storefront.adapters.catalog_client import CatalogClient
from nceflow.storefront.adapters.checkout_client import (
    CheckoutClient,
    Draft,
    DraftSnapshot,
    FormField,
    StepForm,
)
from nceflow.storefront.api.errors import UpstreamProblem
from nceflow.storefront.api.pages import Pages
from nceflow.storefront.api.routes.sign_in import local_path
from nceflow.storefront.api.session import Customer, Session, signed_in, verified_form
from nceflow.storefront.domain.messages import SUMMARY, message_for
from nceflow.storefront.domain.step_forms import FieldErrors, body_of, place_errors

SignedIn = Annotated[Customer, Depends(signed_in)]
Verified = Annotated[dict[str, Any], Depends(verified_form)]

CART_STEP = "cart"


def cart_items(draft: Draft) -> list[dict[str, Any]]:
    """The cart's lines as the `cart` step takes them: plan id and quantity."""
    if draft.cart is None:
        return []
    return [{"plan_id": line.plan_id, "quantity": line.quantity} for line in draft.cart.lines]


def cart_list_field(form: StepForm | None) -> FormField | None:
    """The cart step's list field (its entries are the cart lines)."""
    if form is None:
        return None
    return next((f for f in form.fields if f.type == "list"), None)


async def open_cart(
    checkout: CheckoutClient, customer: Customer, session: Session
) -> DraftSnapshot | None:
    """The draft holding this session's cart, if it is still open (else it is forgotten)."""
    draft_id = session.draft_id
    if draft_id is None:
        return None
    try:
        snapshot = await checkout.get_draft(customer.token, draft_id, step=CART_STEP)
    except UpstreamProblem as problem:
        # 409: the draft was bought, cancelled or expired, so its cart step is closed too.
        if problem.status in (404, 409, 410):
            session.draft_id = None
            session.cart_count = 0
            return None
        raise
    if snapshot.draft.status != "open":
        session.draft_id = None
        session.cart_count = 0
        return None
    return snapshot


def cart_router(pages: Pages, catalog: CatalogClient, checkout: CheckoutClient) -> APIRouter:
    """`POST /cart/items` (Add to Cart), `GET /cart` and `POST /cart` (update, remove, Next)."""
    router = APIRouter()

    def render_cart(
        request: Request,
        snapshot: DraftSnapshot | None,
        *,
        errors: FieldErrors | None = None,
        detail: str = "",
        submitted: dict[str, list[str]] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        draft = snapshot.draft if snapshot else None
        form = draft.form if draft and draft.form and draft.form.step == CART_STEP else None
        refused = bool(detail) or (errors is not None and errors.any)
        return pages.render(
            request,
            "cart.html",
            {
                # Checkout's words once there is a draft; an empty cart has no form to ask for.
                "title": ("Error: " if refused else "") + (form.title if form else "Cart"),
                "nav": "cart",
                "cart": draft.cart if draft else None,
                "form": form,
                "list_field": cart_list_field(form)
                or FormField(name="items", type="list", label="Service plans"),
                "etag": snapshot.etag if snapshot else None,
                "errors": errors or FieldErrors(),
                "detail": detail,
                "submitted": submitted,
            },
            status_code=status_code,
        )

    @router.post("/cart/items", response_model=None)
    async def add_to_cart(
        request: Request,
        customer: SignedIn,
        _: Verified,
        plan_id: Annotated[str, Form(max_length=128)],
        quantity: Annotated[int, Form(ge=1, le=100_000)],
        back: Annotated[str, Form(max_length=2048)] = "/catalogues",
    ) -> Response:
        """Seed step 3: put a plan in the cart (the same plan again adds to its quantity)."""
        session = Session(request)
        snapshot = await open_cart(checkout, customer, session)
        try:
            items: list[dict[str, Any]]
            if snapshot is None:
                items = [{"plan_id": plan_id, "quantity": quantity}]
                snapshot = await checkout.create_draft(customer.token, items)
                session.draft_id = snapshot.draft.id
            else:
                items = cart_items(snapshot.draft)
                line = next((i for i in items if i["plan_id"] == plan_id), None)
                if line is None:
                    items.append({"plan_id": plan_id, "quantity": quantity})
                else:
                    line["quantity"] += quantity
                snapshot = await checkout.save_step(
                    customer.token, snapshot.draft.id, CART_STEP, {"items": items}, snapshot.etag
                )
        except UpstreamProblem as problem:
            if problem.status not in (409, 412, 422):
                raise
            reasons = " ".join(dict.fromkeys(message_for(e.field, e.code) for e in problem.errors))
            session.notify(f"Not added. {reasons or problem.detail}")
            return RedirectResponse(local_path(back), status_code=303)
        session.cart_count = len(snapshot.draft.cart.lines) if snapshot.draft.cart else 0
        title = next(
            (
                ln.title
                for ln in (snapshot.draft.cart.lines if snapshot.draft.cart else [])
                if ln.plan_id == plan_id
            ),
            "The plan",
        )
        session.notify(f"{title} was added to your cart.")
        return RedirectResponse(local_path(back), status_code=303)

    @router.get("/cart", response_class=HTMLResponse)
    async def cart(request: Request, customer: SignedIn) -> HTMLResponse:
        """Seed step 4: the cart, to review before "Next"."""
        session = Session(request)
        snapshot = await open_cart(checkout, customer, session)
        session.cart_count = (
            len(snapshot.draft.cart.lines) if snapshot and snapshot.draft.cart else 0
        )
        return render_cart(request, snapshot)

    @router.post("/cart", response_model=None)
    async def update_cart(
        request: Request,
        customer: SignedIn,
        submitted: Verified,
        action: Annotated[str, Form(max_length=16)] = "update",
        remove: Annotated[int | None, Form(ge=0, le=1000)] = None,
        etag: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """Save new quantities (0 or Remove drops a line); "Next" then opens the wizard."""
        session = Session(request)
        snapshot = await open_cart(checkout, customer, session)
        if snapshot is None:
            return RedirectResponse("/cart", status_code=303)
        form = snapshot.draft.form if snapshot.draft.form else None
        list_field = cart_list_field(form)
        fields = (
            [list_field]
            if list_field
            else [FormField(name="items", type="list", label="", item_fields=_default_items())]
        )
        body = body_of(fields, submitted)
        entries: list[dict[str, Any]] = body.get(fields[0].name, [])
        kept = [
            entry
            for index, entry in enumerate(entries)
            if index != remove and entry.get("quantity") != 0
        ]
        if not kept:
            await checkout.cancel_draft(customer.token, snapshot.draft.id)
            session.draft_id = None
            session.cart_count = 0
            session.notify("Your cart is empty.")
            return RedirectResponse("/cart", status_code=303)
        try:
            saved = await checkout.save_step(
                customer.token,
                snapshot.draft.id,
                CART_STEP,
                {fields[0].name: kept},
                etag or snapshot.etag,
            )
        except UpstreamProblem as problem:
            if problem.status == 412:
                session.notify("Your cart changed in another window; here it is as it is now.")
                return RedirectResponse("/cart", status_code=303)
            if problem.status != 422:
                raise
            return render_cart(
                request,
                snapshot,
                errors=place_errors(fields, problem.errors),
                detail=SUMMARY if problem.errors else problem.detail,
                submitted=submitted,
                status_code=422,
            )
        session.cart_count = len(saved.draft.cart.lines) if saved.draft.cart else 0
        if action == "next" and remove is None:
            return RedirectResponse(f"/checkout/{saved.draft.id}", status_code=303)
        session.notify("Your cart was updated.")
        return RedirectResponse("/cart", status_code=303)

    return router


def _default_items() -> list[FormField]:
    # Only used if checkout sent no cart form: the names the `cart` step has always taken.
    return [
        FormField(name="plan_id", type="string", label="Service plan"),
        FormField(name="quantity", type="integer", label="Quantity"),
    ]
