"""The wizard and orders routes. Handlers translate HTTP to use cases and back, nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nceflow.checkout.api.errors import PROBLEM_JSON
from nceflow.checkout.api.forms import Form, form_of
from nceflow.checkout.api.http import etag, parse_if_match
from nceflow.checkout.api.schemas import (
    AdminCredentialsView,
    ConfirmRequest,
    ConfirmResponse,
    CreateDraftRequest,
    DraftView,
    OrderList,
    OrderView,
    Problem,
    SignInRequest,
    SignInStartedView,
)
from nceflow.checkout.auth import AuthenticationError, Customer
from nceflow.checkout.context import context_of
from nceflow.checkout.domain.draft import Draft
from nceflow.checkout.domain.errors import FieldProblem
from nceflow.checkout.domain.order import OrderStatus
from nceflow.checkout.domain.steps import STEP_INPUTS, StepId, StepInput
from nceflow.checkout.service import CheckoutService

# Ids we issue are UUIDs; anything else cannot name a draft, so it is refused before Redis.
DraftId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique value per Buy; a retry with the same key gets the same answer",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description="The draft's ETag, to refuse stale edits"),
]

_bearer = HTTPBearer(auto_error=False, description="The marketplace's JWT")

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for code, text in {
        401: "No valid bearer token",
        403: "Unknown reseller",
        404: "No such draft or order for this account",
        409: "Conflict with the draft's state (names the current step)",
        412: "If-Match is stale",
        413: "Body too large",
        422: "Invalid data",
        503: "A dependency is unavailable; retry after Retry-After",
    }.items()
}


async def _service(request: Request) -> CheckoutService:
    # Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a thread hop
    # (and two loop wake-ups) on every request for one attribute read.
    return context_of(request.app).service


async def _customer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Customer:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("no bearer token")
    return await context_of(request.app).verifier.verify(credentials.credentials)


Service = Annotated[CheckoutService, Depends(_service)]
CurrentCustomer = Annotated[Customer, Depends(_customer)]


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


def build_router() -> APIRouter:
    """All routes of the API, under `/v1`."""
    router = APIRouter(prefix="/v1", responses=_PROBLEMS)

    @router.post(
        "/drafts",
        status_code=status.HTTP_201_CREATED,
        response_model=DraftView,
        summary="Start a draft order (optionally with the cart's items)",
        tags=["drafts"],
    )
    async def create_draft(
        service: Service,
        customer: CurrentCustomer,
        body: Annotated[CreateDraftRequest | None, Body()] = None,
    ) -> Response:
        draft = await service.start_draft(customer, body.items if body else None)
        response = _draft_response(draft, status.HTTP_201_CREATED)
        response.headers["Location"] = f"/v1/drafts/{draft.id}"
        return response

    @router.get("/drafts/{draft_id}", response_model=DraftView, tags=["drafts"])
    async def get_draft(
        draft_id: DraftId,
        service: Service,
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
        draft = await service.get_draft(customer, draft_id)
        # Refuse a step that cannot be shown before answering "not modified" for it.
        form = form_of(draft, step)
        if if_none_match is not None and parse_if_match(if_none_match) == draft.version:
            return Response(status_code=304, headers={"ETag": etag(draft.version)})
        return _draft_response(draft, form=form)

    @router.delete("/drafts/{draft_id}", status_code=204, tags=["drafts"])
    async def cancel_draft(
        draft_id: DraftId, service: Service, customer: CurrentCustomer
    ) -> Response:
        """Cancel the draft (emits OrderAbandoned once)."""
        await service.cancel(customer, draft_id)
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
        draft_id: DraftId, body: SignInRequest, service: Service, customer: CurrentCustomer
    ) -> Response:
        """Where to send the customer to sign in as a user of the draft's tenant. Microsoft
        sends it back to `redirect_uri` with `code` and `state`: save those as the
        `tenant_sign_in` step (once; a new sign-in starts here again)."""
        started = await service.start_sign_in(customer, draft_id, body.redirect_uri)
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
        service: Service,
        customer: CurrentCustomer,
    ) -> Response:
        """Confirm the draft: re-price it and create the order. Idempotent per key."""
        confirmed = await service.confirm(
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

    @router.get("/orders", response_model=OrderList, tags=["orders"])
    async def list_orders(
        service: Service,
        customer: CurrentCustomer,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        before: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    ) -> OrderList:
        """The customer's orders, newest first."""
        orders = await service.list_orders(customer, limit=limit, before_ms=before)
        next_before = (
            int(orders[-1].confirmed_at.timestamp() * 1000) if len(orders) == limit else None
        )
        states = [await service.admin_credentials_state(order) for order in orders]
        return OrderList(
            items=[OrderView.of(order, state) for order, state in zip(orders, states, strict=True)],
            next_before=next_before,
        )

    @router.get("/orders/{order_id}", response_model=OrderView, tags=["orders"])
    async def get_order(
        order_id: DraftId, service: Service, customer: CurrentCustomer
    ) -> OrderView:
        """One order: confirmed, processing, placed (with Partner Center ids) or failed."""
        order = await service.get_order(customer, order_id)
        return OrderView.of(order, await service.admin_credentials_state(order))

    @router.post(
        "/orders/{order_id}/admin-credentials",
        response_model=AdminCredentialsView,
        tags=["orders"],
        responses={
            409: _PROBLEMS[409],
            410: {
                "model": Problem,
                "content": {PROBLEM_JSON: {}},
                "description": "Shown already, or expired unseen",
            },
        },
    )
    async def reveal_admin_credentials(
        order_id: DraftId, service: Service, customer: CurrentCustomer, response: Response
    ) -> AdminCredentialsView:
        """The new tenant's first admin and temporary password, **once**: Partner Center gives
        the password out when it creates the tenant, and this answer erases it. Microsoft asks
        for a new password at the first sign-in."""
        credentials = await service.reveal_admin_credentials(customer, order_id)
        response.headers["Cache-Control"] = "no-store"
        return AdminCredentialsView(
            user_name=credentials.user_name, password=credentials.password.get_secret_value()
        )

    return router


def _add_step_route(router: APIRouter, step: StepId, model: type[StepInput]) -> None:
    async def save_step(
        draft_id: DraftId,
        body: Any,
        service: Service,
        customer: CurrentCustomer,
        if_match: IfMatch = None,
    ) -> Response:
        saved = await service.save_step(
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
