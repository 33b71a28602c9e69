"""Request and response bodies of the checkout API (step bodies are `domain.steps` inputs)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from nceflow.checkout.api.forms import STEP_TITLES, Form, form_of
from nceflow.checkout.domain.draft import (
    Draft,
    DraftStatus,
    StepStatus,
    TenantOwnership,
)
from nceflow.checkout.domain.errors import FieldProblem
from nceflow.checkout.domain.order import AdminCredentialsState, Order, OrderStatus
from nceflow.checkout.domain.pricing import PricedCart
from nceflow.checkout.domain.steps import MAX_CART_ITEMS, CartItemInput, StepId
from nceflow.schemas.values import SalesModel


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateDraftRequest(_Request):
    """`POST /v1/drafts`: optionally with the cart's items (seed step 3, Add to Cart)."""

    items: Annotated[list[CartItemInput], Field(min_length=1, max_length=MAX_CART_ITEMS)] | None = (
        None
    )


class ConfirmRequest(_Request):
    """`POST /v1/drafts/{id}/confirm` (Buy)."""

    terms_accepted: bool


class SignInRequest(_Request):
    """`POST /v1/drafts/{id}/microsoft-sign-in`: where Microsoft sends the customer back."""

    redirect_uri: Annotated[
        str,
        Field(
            pattern=r"^https?://[^\s#?]+$",
            max_length=2048,
            description="A redirect URI registered with the marketplace's Entra app; Microsoft "
            "sends `code` and `state` there, to be saved as the tenant_sign_in step",
        ),
    ]


class SignInStartedView(BaseModel):
    """Send the customer's browser to `authorize_url`; the sign-in must end within `expires_in`
    seconds."""

    authorize_url: str
    state: str
    expires_in: int


class TenantView(BaseModel):
    """The existing Microsoft tenant the order goes to, and why this account may order into it."""

    primary_domain: str
    ownership: TenantOwnership


class FieldError(BaseModel):
    """One reason a request was refused, or a warning about a saved step."""

    field: str
    reason: str
    code: str = "invalid"

    @classmethod
    def of(cls, problem: FieldProblem) -> FieldError:
        return cls(field=problem.field, reason=problem.reason, code=problem.code)


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


class StepView(BaseModel):
    """One step in the wizard's progress."""

    id: StepId
    title: str
    status: StepStatus


class LineView(BaseModel):
    """One priced line."""

    plan_id: str
    title: str
    catalog_item_id: str
    term: str
    billing_cycle: str
    quantity: int
    unit_price: Decimal
    currency: str
    amount: Decimal


class TotalView(BaseModel):
    """The lines billed on one cycle, summed."""

    billing_cycle: str
    currency: str
    amount: Decimal


class CartView(BaseModel):
    """The priced cart."""

    lines: list[LineView]
    totals: list[TotalView]

    @classmethod
    def of(cls, cart: PricedCart) -> CartView:
        return cls(
            lines=[
                LineView(**line.model_dump(include=set(LineView.model_fields)), amount=line.amount)
                for line in cart.lines
            ],
            totals=[TotalView(**total.model_dump()) for total in cart.totals],
        )


class ResellerView(BaseModel):
    """Who sells to the customer."""

    id: str
    name: str
    sales_model: SalesModel


_INTERNAL: dict[StepId, set[str]] = {StepId.TENANT_DOMAIN: {"customer_tenant_id"}}
"""Saved fields a customer is not shown."""


class DraftView(BaseModel):
    """A draft, server-driven: progress, saved data, and the form of the current step."""

    id: str
    order_id: str = Field(description="The id the order keeps once bought")
    status: DraftStatus
    version: int = Field(description="Also the ETag; send it back in If-Match")
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    reseller: ResellerView
    current_step: StepId | None = Field(description="None when the draft can be bought or ended")
    steps: list[StepView]
    data: dict[str, dict[str, Any]] = Field(description="Saved data, per step id")
    cart: CartView | None
    tenant: TenantView | None = Field(
        default=None,
        description="An existing account's tenant, once known: the account's own (`bound`, "
        "no domain asked) or the one it named",
    )
    form: Form | None = Field(
        description="The form of the step asked for with `?step=` (a done step, to edit it), "
        "else of the current step; null when no step is current"
    )
    warnings: list[FieldError] = Field(default_factory=list)
    links: dict[str, str]

    @classmethod
    def of(
        cls, draft: Draft, warnings: tuple[FieldProblem, ...] = (), *, form: Form | None = None
    ) -> DraftView:
        """The draft's view, with `form` (default: the current step's)."""
        current = draft.current_step
        data: dict[str, dict[str, Any]] = {}
        for step in StepId:
            saved = draft.data_of(step)
            if saved is None or step is StepId.CART:
                continue
            # Partner Center's customer id stays inside: a customer learns whether its domain
            # was found, never the reseller's customers' tenant ids.
            data[step.value] = saved.model_dump(mode="json", exclude=_INTERNAL.get(step, set()))
        if draft.cart is not None:
            data[StepId.CART.value] = {
                "items": [
                    {"plan_id": li.plan_id, "quantity": li.quantity} for li in draft.cart.lines
                ]
            }
        links = {"self": f"/v1/drafts/{draft.id}"}
        if draft.status is DraftStatus.OPEN:
            links["confirm"] = f"/v1/drafts/{draft.id}/confirm"
        if draft.status is DraftStatus.CONFIRMED:
            links["order"] = f"/v1/orders/{draft.id}"
        return cls(
            id=draft.id,
            order_id=draft.id,
            status=draft.status,
            version=draft.version,
            created_at=draft.created_at,
            updated_at=draft.updated_at,
            expires_at=draft.expires_at,
            reseller=ResellerView(
                id=draft.reseller.reseller_id,
                name=draft.reseller.name,
                sales_model=draft.reseller.sales_model,
            ),
            current_step=current,
            steps=[
                StepView(id=state.step, title=STEP_TITLES[state.step], status=state.status)
                for state in draft.step_states()
            ],
            data=data,
            cart=CartView.of(draft.cart) if draft.cart is not None else None,
            tenant=(
                TenantView(primary_domain=tenant.primary_domain, ownership=tenant.ownership)
                if (tenant := draft.tenant) is not None
                else None
            ),
            form=form if form is not None else form_of(draft),
            warnings=[FieldError.of(problem) for problem in warnings],
            links=links,
        )


class ConfirmResponse(BaseModel):
    """Buy's answer (the same for every retry with the same Idempotency-Key)."""

    order_id: str
    status: OrderStatus


class PartnerCenterView(BaseModel):
    """Where the order is in Partner Center, once placed."""

    customer_id: str | None
    order_ids: list[str]
    subscription_ids: list[str]
    provisioning: str | None
    unordered: list[UnorderedPartView] = Field(
        default_factory=list,
        description="Parts of the cart Partner Center refused while it ordered the rest (a "
        "partial checkout): they were not bought and are not charged; empty normally",
    )


class UnorderedPartView(BaseModel):
    """A part of the cart that was not ordered, with Partner Center's reason."""

    order_group_id: str | None
    code: str
    description: str


class FailureView(BaseModel):
    """Why the order failed, in words for the customer, and where to act."""

    code: str
    reason: str
    action_url: str | None
    retryable: bool


class AdminCredentialsStateView(BaseModel):
    """The new tenant's first admin password: `ready` to be shown once (POST `reveal`),
    `shown` already, `pending` until Partner Center creates the tenant, `unavailable` when it
    expired unseen (the reseller resets it in Partner Center)."""

    state: AdminCredentialsState
    shown_at: datetime | None = None
    reveal: str | None = Field(
        default=None, description="POST here to see the credentials (when `ready`)"
    )


class AdminCredentialsView(BaseModel):
    """A new tenant's first admin, shown once. Sign in at Microsoft with these; Microsoft asks
    for a new password at the first sign-in."""

    user_name: str = Field(description="Sign-in name, e.g. admin@contoso.onmicrosoft.com")
    password: str = Field(description="Temporary password; not kept by nceflow after this")


class OrderView(BaseModel):
    """An order as the customer sees it."""

    order_id: str
    status: OrderStatus
    confirmed_at: datetime
    updated_at: datetime
    reseller_id: str
    tenant_domain: str | None
    lines: list[LineView]
    totals: list[TotalView]
    partner_center: PartnerCenterView | None
    failure: FailureView | None
    admin_credentials: AdminCredentialsStateView | None = Field(
        default=None, description="Only for an order that creates a new tenant"
    )

    @classmethod
    def of(cls, order: Order, admin: AdminCredentialsState | None = None) -> OrderView:
        cart = CartView.of(PricedCart(lines=order.lines))
        placed = order.customer_id is not None
        return cls(
            order_id=order.order_id,
            status=order.status,
            confirmed_at=order.confirmed_at,
            updated_at=order.updated_at,
            reseller_id=order.reseller_id,
            tenant_domain=order.tenant_domain,
            lines=cart.lines,
            totals=cart.totals,
            partner_center=PartnerCenterView(
                customer_id=order.customer_id,
                order_ids=list(order.partner_center_order_ids),
                subscription_ids=list(order.subscription_ids),
                provisioning=order.provisioning,
                unordered=[
                    UnorderedPartView(**part.model_dump()) for part in order.unordered_parts
                ],
            )
            if placed
            else None,
            failure=FailureView(**order.failure.model_dump()) if order.failure else None,
            admin_credentials=AdminCredentialsStateView(
                state=admin,
                shown_at=order.admin_credentials_shown_at,
                reveal=f"/v1/orders/{order.order_id}/admin-credentials"
                if admin is AdminCredentialsState.READY
                else None,
            )
            if admin is not None
            else None,
        )


class OrderList(BaseModel):
    """A page of the customer's orders, newest first."""

    items: list[OrderView]
    next_before: int | None = Field(
        description="Pass as `before` for the next page; null at the end"
    )
