"""Seed steps 5-12: the wizard, rendered only from checkout's step descriptions, then Buy.

Each step has its own URL, so the browser's back button and a reload show the draft as checkout
keeps it. A POST sends the form where the description's `submit` says, then redirects (so a
reload never posts twice), to the step checkout names as current or to the bought order.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nceflow.storefront.adapters.checkout_client import CheckoutClient, Draft, DraftSnapshot
from nceflow.storefront.api.errors import UpstreamProblem
from nceflow.storefront.api.pages import Pages
from nceflow.storefront.api.session import Customer, Session, signed_in, verified_form
from nceflow.storefront.domain.messages import SUMMARY, message_for
from nceflow.storefront.domain.step_forms import FieldErrors, body_of, place_errors

SignedIn = Annotated[Customer, Depends(signed_in)]
Verified = Annotated[dict[str, Any], Depends(verified_form)]

CART_STEP = "cart"
SIGN_IN_STEP = "tenant_sign_in"
# Checkout's API link for starting a sign-in: the storefront's own button does it instead.
SIGN_IN_LINK = "microsoft_sign_in"


def step_url(draft_id: str, step: str | None) -> str:
    """Where a step of the draft is shown (the cart step is the cart page)."""
    if step is None or step == CART_STEP:
        return "/cart"
    return f"/checkout/{draft_id}/steps/{step}"


def previous_step(draft: Draft, step: str) -> str | None:
    """The step before `step` on this draft's path, for the Back button."""
    shown = [s.id for s in draft.steps if s.status != "skipped"]
    if step not in shown or shown.index(step) == 0:
        return None
    return shown[shown.index(step) - 1]


def wizard_router(pages: Pages, checkout: CheckoutClient) -> APIRouter:
    """`GET /checkout/{id}` (the current step) and `GET/POST /checkout/{id}/steps/{step}`."""
    router = APIRouter()

    async def describes_done_steps(customer: Customer, draft: Draft) -> bool:
        # A done step can be shown again only if checkout describes its form on request
        # (`?step=`); rather than offer links that lead nowhere, this page itself is the proof
        # (a done step shown), or checkout is asked once for one done step.
        if draft.form is not None and draft.form.step != draft.current_step:
            return True
        done = next((s.id for s in draft.steps if s.status == "done" and s.id != CART_STEP), None)
        if done is None:
            return False
        try:
            probe = await checkout.get_draft(customer.token, draft.id, step=done)
        except UpstreamProblem:
            return False
        return probe.draft.form is not None and probe.draft.form.step == done

    async def render_step(
        request: Request,
        customer: Customer,
        snapshot: DraftSnapshot,
        *,
        errors: FieldErrors | None = None,
        detail: str = "",
        submitted: dict[str, list[str]] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        draft = snapshot.draft
        assert draft.form is not None
        form = draft.form
        refused = bool(detail) or (errors is not None and errors.any)
        form = form.model_copy(
            update={"links": [link for link in form.links if link.rel != SIGN_IN_LINK]}
        )
        field_link_hrefs = [link.href for f in form.fields for link in f.links]
        # Buy is not idempotent by itself: the key is fixed when the page is rendered, so a
        # double click or a resubmitted page buys once.
        needs_key = form.submit.method.upper() == "POST"
        key = submitted_key(submitted) or (uuid.uuid4().hex if needs_key else None)
        previous = previous_step(draft, form.step)
        can_edit = await describes_done_steps(customer, draft)
        back_url = (
            step_url(draft.id, previous)
            if previous is not None and (previous == CART_STEP or can_edit)
            else None
        )
        return pages.render(
            request,
            "step.html",
            {
                # Screen readers hear the page title first: an error state says so there.
                "title": f"Error: {form.title}" if refused else form.title,
                "form": form,
                "steps": draft.steps,
                "step_url": lambda step: step_url(draft.id, step),
                "back_url": back_url,
                "can_edit_done_steps": can_edit,
                "etag": snapshot.etag,
                "idempotency_key": key,
                "cart": draft.cart,
                "field_link_hrefs": field_link_hrefs,
                "errors": errors or FieldErrors(),
                "detail": detail,
                "submitted": submitted,
                "warnings": [],
            },
            status_code=status_code,
        )

    async def current_place(customer: Customer, draft_id: str) -> str:
        snapshot = await checkout.get_draft(customer.token, draft_id)
        draft = snapshot.draft
        if draft.status == "confirmed":
            return f"/orders/{draft.id}"
        if draft.status != "open":
            return "/cart"
        return step_url(draft.id, draft.current_step)

    @router.get("/checkout/{draft_id}", response_model=None)
    async def resume(request: Request, draft_id: str, customer: SignedIn) -> Response:
        """The draft's current step (or its order, once bought)."""
        Session(request).draft_id = draft_id
        return RedirectResponse(await current_place(customer, draft_id), status_code=303)

    @router.get("/checkout/{draft_id}/steps/{step}", response_model=None)
    async def show_step(request: Request, draft_id: str, step: str, customer: SignedIn) -> Response:
        """One step's form, with what was saved for it."""
        if step == CART_STEP:
            return RedirectResponse("/cart", status_code=303)
        try:
            snapshot = await checkout.get_draft(customer.token, draft_id, step=step)
        except UpstreamProblem as problem:
            if problem.status not in (409, 422):
                raise
            return RedirectResponse(await current_place(customer, draft_id), status_code=303)
        draft = snapshot.draft
        if draft.status != "open" or draft.form is None or draft.form.step != step:
            return RedirectResponse(await current_place(customer, draft_id), status_code=303)
        Session(request).draft_id = draft_id
        return await render_step(request, customer, snapshot)

    @router.post("/checkout/{draft_id}/steps/{step}", response_model=None)
    async def submit_step(
        request: Request,
        draft_id: str,
        step: str,
        customer: SignedIn,
        submitted: Verified,
        etag: Annotated[str, Form(max_length=128)] = "",
        idempotency_key: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        """Send the step where its description says; then the next step, or the order."""
        session = Session(request)
        try:
            snapshot = await checkout.get_draft(customer.token, draft_id, step=step)
        except UpstreamProblem as problem:
            if problem.status not in (409, 422):
                raise
            return RedirectResponse(await current_place(customer, draft_id), status_code=303)
        form = snapshot.draft.form
        if snapshot.draft.status != "open" or form is None or form.step != step:
            return RedirectResponse(await current_place(customer, draft_id), status_code=303)
        if step == SIGN_IN_STEP:
            # Off to Microsoft: it sends the customer back to the callback below.
            redirect_uri = str(request.url_for("microsoft_sign_in_callback"))
            started = await checkout.start_sign_in(customer.token, draft_id, redirect_uri)
            session.expect_microsoft(started.state, draft_id)
            return RedirectResponse(started.authorize_url, status_code=303)
        body = body_of(form.fields, submitted)
        try:
            response = await checkout.submit(
                customer.token,
                form.submit,
                body,
                etag=etag or snapshot.etag,
                idempotency_key=idempotency_key or None,
            )
        except UpstreamProblem as problem:
            if problem.status == 412:
                fresh = await checkout.get_draft(customer.token, draft_id, step=step)
                return await render_step(
                    request,
                    customer,
                    fresh,
                    detail="This order was changed in another window. Check the step and "
                    "submit it again.",
                    submitted=submitted,
                    status_code=409,
                )
            if problem.status == 409:
                session.notify(problem.detail or problem.title)
                return RedirectResponse(await current_place(customer, draft_id), status_code=303)
            if problem.status != 422:
                raise
            # Re-read: a refused Buy may have re-priced the cart (the review shows new prices).
            fresh = await checkout.get_draft(customer.token, draft_id, step=step)
            return await render_step(
                request,
                customer,
                fresh if fresh.draft.form and fresh.draft.form.step == step else snapshot,
                errors=place_errors(form.fields, problem.errors),
                detail=SUMMARY if problem.errors else (problem.detail or problem.title),
                submitted=submitted,
                status_code=422,
            )
        answer = response.json()
        if not isinstance(answer, dict):
            return RedirectResponse(await current_place(customer, draft_id), status_code=303)
        if "steps" not in answer and "order_id" in answer:
            # Buy's answer: the order exists; the cart is spent.
            session.draft_id = None
            session.cart_count = 0
            return RedirectResponse(f"/orders/{answer['order_id']}", status_code=303)
        saved = Draft.model_validate(answer)
        for warning in saved.warnings:
            session.notify(warning.reason)
        return RedirectResponse(step_url(saved.id, saved.current_step), status_code=303)

    @router.get(
        "/sign-in/microsoft/callback", name="microsoft_sign_in_callback", response_model=None
    )
    async def microsoft_sign_in_callback(
        request: Request,
        customer: SignedIn,
        state: Annotated[str, Query(max_length=256)] = "",
        code: Annotated[str, Query(max_length=4096)] = "",
        error: Annotated[str, Query(max_length=256)] = "",
    ) -> Response:
        """Microsoft's answer to the sign-in (`code` and `state`, or `error`): checkout redeems
        the code and checks the user belongs to the tenant; then the next step."""
        session = Session(request)
        draft_id = session.microsoft_answered(state) if state else None
        if draft_id is None:
            session.notify("That Microsoft sign-in was not started here. Sign in again.")
            return RedirectResponse("/cart", status_code=303)
        here = step_url(draft_id, SIGN_IN_STEP)
        if error or not code:
            session.notify(
                "Microsoft did not sign you in. Sign in again with a work account of the "
                "organisation you order for."
            )
            return RedirectResponse(here, status_code=303)
        try:
            saved = await checkout.save_step(
                customer.token, draft_id, SIGN_IN_STEP, {"code": code, "state": state}, None
            )
        except UpstreamProblem as problem:
            if problem.status not in (409, 422):
                raise
            reasons = [message_for(e.field, e.code) for e in problem.errors]
            session.notify(reasons[0] if reasons else problem.detail or problem.title)
            return RedirectResponse(await current_place(customer, draft_id), status_code=303)
        return RedirectResponse(step_url(draft_id, saved.draft.current_step), status_code=303)

    return router


def submitted_key(submitted: dict[str, list[str]] | None) -> str | None:
    """The idempotency key a re-rendered form must keep (the same Buy, tried again)."""
    if not submitted:
        return None
    values = submitted.get("idempotency_key")
    return values[0] if values else None
