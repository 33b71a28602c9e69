"""The draft routes: the wizard from the first cart to Buy. Handlers translate HTTP to use cases
and back, nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response, status

from nceflow.checkout.api.common import (
    PROBLEMS,
    CurrentCustomer,
    DraftId,
    Drafts,
    IdempotencyKey,
    IfMatch,
)
from nceflow.checkout.api.forms import Form, form_of
from nceflow.checkout.api.http import etag, parse_if_match
from nceflow.checkout.api.schemas import (
    ConfirmRequest,
    ConfirmResponse,
    CreateDraftRequest,
    DraftView,
    SignInRequest,
    SignInStartedView,
)
from nceflow.checkout.domain.draft import Draft
from nceflow.checkout.domain.errors import FieldProblem
from nceflow.checkout.domain.order import OrderStatus
from nceflow.checkout.domain.steps import STEP_INPUTS, StepId, StepInput


def _draft_response(
    draft: Draft,
    status_code: int = 200,
    warnings: tuple[FieldProblem, ...] = (),
    form: Form | None = None,
) -> Response:
    view = DraftView.of(draft, warnings, form=form)
    # Serialised once, by pydantic's core (not dumped to dicts and then re-encoded by `json`).
    return Response(
        view.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": etag(draft.version), "Cache-Control": "no-store"},
    )


def drafts_router() -> APIRouter:
    """`/v1/drafts…`: start, read, save each step, sign in with Microsoft, Buy, cancel."""
    router = APIRouter(prefix="/v1", responses=PROBLEMS)

    @router.post(
        "/drafts",
        status_code=status.HTTP_201_CREATED,
        response_model=DraftView,
        summary="Start a draft order (optionally with the cart's items)",
        tags=["drafts"],
    )
    async def create_draft(
        drafts: Drafts,
        customer: CurrentCustomer,
        body: Annotated[CreateDraftRequest | None, Body()] = None,
    ) -> Response:
        draft = await drafts.start_draft(customer, body.items if body else None)
        response = _draft_response(draft, status.HTTP_201_CREATED)
        response.headers["Location"] = f"/v1/drafts/{draft.id}"
        return response

    @router.get("/drafts/{draft_id}", response_model=DraftView, tags=["drafts"])
    async def get_draft(
        draft_id: DraftId,
        drafts: Drafts,
        customer: CurrentCustomer,
        if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
        step: Annotated[
            StepId | None,
            Query(
                description="Describe this step's form instead of the current one's: a done "
                "step (filled with its saved values, to edit it) or the current step; a step "
                "skipped or ahead is 409 naming the current step"
            ),
        ] = None,
    ) -> Response:
        """The draft: current step, every step's status, saved data and a step's form."""
        draft = await drafts.get_draft(customer, draft_id)
        # Refuse a step that cannot be shown before answering "not modified" for it.
        form = form_of(draft, step)
        if if_none_match is not None and parse_if_match(if_none_match) == draft.version:
            return Response(status_code=304, headers={"ETag": etag(draft.version)})
        return _draft_response(draft, form=form)

    @router.delete("/drafts/{draft_id}", status_code=204, tags=["drafts"])
    async def cancel_draft(
        draft_id: DraftId, drafts: Drafts, customer: CurrentCustomer
    ) -> Response:
        """Cancel the draft (emits OrderAbandoned once)."""
        await drafts.cancel(customer, draft_id)
        return Response(status_code=204)

    for step in StepId:
        _add_step_route(router, step, STEP_INPUTS[step])

    @router.post(
        "/drafts/{draft_id}/microsoft-sign-in",
        status_code=status.HTTP_201_CREATED,
        response_model=SignInStartedView,
        summary="Start a Microsoft sign-in for the tenant_sign_in step",
        tags=["steps"],
    )
    async def start_sign_in(
        draft_id: DraftId, body: SignInRequest, drafts: Drafts, customer: CurrentCustomer
    ) -> Response:
        """Where to send the customer to sign in as a user of the draft's tenant. Microsoft
        sends it back to `redirect_uri` with `code` and `state`: save those as the
        `tenant_sign_in` step (once; a new sign-in starts here again)."""
        started = await drafts.start_sign_in(customer, draft_id, body.redirect_uri)
        view = SignInStartedView(
            authorize_url=started.authorize_url,
            state=started.state,
            expires_in=started.expires_in,
        )
        return Response(
            view.model_dump_json(),
            status_code=201,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    @router.post(
        "/drafts/{draft_id}/confirm",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ConfirmResponse,
        summary="Buy",
        tags=["drafts"],
    )
    async def confirm(
        draft_id: DraftId,
        body: ConfirmRequest,
        idempotency_key: IdempotencyKey,
        drafts: Drafts,
        customer: CurrentCustomer,
    ) -> Response:
        """Confirm the draft: re-price it and create the order. Idempotent per key."""
        confirmed = await drafts.confirm(
            customer,
            draft_id,
            idempotency_key=idempotency_key,
            terms_accepted=body.terms_accepted,
        )
        answer = ConfirmResponse(order_id=confirmed.order_id, status=OrderStatus(confirmed.status))
        headers = {"Location": f"/v1/orders/{confirmed.order_id}"}
        if confirmed.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            answer.model_dump_json(),
            status_code=202,
            media_type="application/json",
            headers=headers,
        )

    return router


def _add_step_route(router: APIRouter, step: StepId, model: type[StepInput]) -> None:
    async def save_step(
        draft_id: DraftId,
        body: Any,
        drafts: Drafts,
        customer: CurrentCustomer,
        if_match: IfMatch = None,
    ) -> Response:
        saved = await drafts.save_step(
            customer, draft_id, step, body, if_match=parse_if_match(if_match)
        )
        return _draft_response(saved.draft, warnings=saved.warnings)

    # The body's type differs per step: give each route its own model (and OpenAPI schema).
    save_step.__annotations__["body"] = Annotated[model, Body()]
    handler: Callable[..., Awaitable[Response]] = save_step
    router.add_api_route(
        f"/drafts/{{draft_id}}/steps/{step.value}",
        handler,
        methods=["PUT"],
        response_model=DraftView,
        name=f"save_{step.value}",
        summary=f"Save the {step.value} step",
        tags=["steps"],
    )
