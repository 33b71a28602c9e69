"""The checkout service as the storefront uses it: drafts, steps, Buy, orders.

The draft comes back server-driven: its current step, every step's status and, for a step, a form
description (fields, labels, allowed values, links, submit). The storefront renders those as they
come; the models here only name what it reads and ignore the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from nceflow.storefront.adapters.upstream import send

SERVICE = "checkout"


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Link(_Read):
    """A page the customer may need to open (relationship, MCA, terms)."""

    rel: str = ""
    href: str
    text: str


class Option(_Read):
    """One allowed value of a choice field."""

    value: str
    label: str


class FormField(_Read):
    """One input of a step, as checkout describes it."""

    name: str
    type: str
    label: str
    required: bool = True
    options: list[Option] | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    item_fields: list[FormField] | None = None
    help: str | None = None
    links: list[Link] = Field(default_factory=list)
    value: Any = None


class Submit(_Read):
    """Where and how the step's data goes."""

    label: str
    method: str
    href: str


class SummaryEntry(_Read):
    """One answer the customer gave, labelled by checkout."""

    label: str
    value: str


class SummarySection(_Read):
    """The answers of one done step (Review Order)."""

    step: str
    title: str
    entries: list[SummaryEntry] = Field(default_factory=list)


class StepForm(_Read):
    """The form of one step."""

    step: str
    title: str
    description: str = ""
    fields: list[FormField]
    links: list[Link] = Field(default_factory=list)
    submit: Submit
    summary: list[SummarySection] | None = None


class StepState(_Read):
    """One row of the wizard's progress."""

    id: str
    title: str = ""
    status: str


class CartLine(_Read):
    """One priced line of the draft's cart."""

    plan_id: str
    title: str
    term: str
    billing_cycle: str
    quantity: int
    unit_price: str
    currency: str
    amount: str | None = None


class CartTotal(_Read):
    """The total of the lines billed on one cycle."""

    billing_cycle: str
    currency: str
    amount: str


class Cart(_Read):
    """The draft's priced cart."""

    lines: list[CartLine] = Field(default_factory=list)
    totals: list[CartTotal] = Field(default_factory=list)


class StepWarning(_Read):
    """Something the customer should know about a saved step (it was saved nonetheless)."""

    field: str = ""
    reason: str


class Draft(_Read):
    """A draft order as checkout presents it."""

    id: str
    status: str
    version: int = 0
    current_step: str | None = None
    steps: list[StepState] = Field(default_factory=list)
    form: StepForm | None = None
    cart: Cart | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    warnings: list[StepWarning] = Field(default_factory=list)


@dataclass(frozen=True)
class DraftSnapshot:
    """A draft and the ETag to send back as `If-Match` when changing it."""

    draft: Draft
    etag: str | None


class OrderFailure(_Read):
    """Why fulfilment could not place the order, and what the customer can do."""

    code: str = ""
    reason: str
    action_url: str | None = None
    retryable: bool = False


class PartnerCenterRecord(_Read):
    """Where a placed order is in Microsoft Partner Center."""

    customer_id: str | None = None
    order_ids: list[str] = Field(default_factory=list)
    subscription_ids: list[str] = Field(default_factory=list)
    provisioning: str | None = None


class AdminCredentialsState(_Read):
    """Where the new tenant's admin password stands: pending, ready (to be shown once), shown,
    unavailable."""

    state: str
    shown_at: str | None = None
    reveal: str | None = None


class AdminCredentials(_Read):
    """The new tenant's first admin, shown once (checkout erased it as it answered)."""

    user_name: str
    password: str = Field(repr=False)


class Order(_Read):
    """A bought order and its status."""

    order_id: str
    status: str
    confirmed_at: str | None = None
    updated_at: str | None = None
    lines: list[CartLine] = Field(default_factory=list)
    totals: list[CartTotal] = Field(default_factory=list)
    tenant_domain: str | None = None
    partner_center: PartnerCenterRecord | None = None
    failure: OrderFailure | None = None
    admin_credentials: AdminCredentialsState | None = None


class SignInStart(_Read):
    """Where to send the customer to sign in with Microsoft for a draft's tenant."""

    authorize_url: str
    state: str


class DevReseller(_Read):
    """A reseller checkout's dev sign-in offers."""

    id: str
    name: str
    sales_model: str


class DevToken(_Read):
    """A dev token checkout signed for an account."""

    access_token: str
    reseller_name: str


class CheckoutClient:
    """Typed calls to the checkout API, each with the customer's bearer token."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @staticmethod
    def _auth(token: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", **extra}

    async def create_draft(self, token: str, items: list[dict[str, Any]]) -> DraftSnapshot:
        """Start a draft with `items` already in its cart."""
        response = await send(
            self._http,
            SERVICE,
            "POST",
            "/v1/drafts",
            json={"items": items},
            headers=self._auth(token),
        )
        return _snapshot(response)

    async def get_draft(self, token: str, draft_id: str, step: str | None = None) -> DraftSnapshot:
        """The draft, with the form of `step` (default: the current step)."""
        params = {"step": step} if step else None
        response = await send(
            self._http,
            SERVICE,
            "GET",
            f"/v1/drafts/{draft_id}",
            params=params,
            headers=self._auth(token),
        )
        return _snapshot(response)

    async def save_step(
        self, token: str, draft_id: str, step: str, data: dict[str, Any], etag: str | None
    ) -> DraftSnapshot:
        """Save one step's data, refused (412) when the draft changed since `etag`."""
        headers = self._auth(token, **({"If-Match": etag} if etag else {}))
        response = await send(
            self._http,
            SERVICE,
            "PUT",
            f"/v1/drafts/{draft_id}/steps/{step}",
            json=data,
            headers=headers,
        )
        return _snapshot(response)

    async def submit(
        self,
        token: str,
        submit: Submit,
        data: dict[str, Any],
        *,
        etag: str | None,
        idempotency_key: str | None,
    ) -> httpx.Response:
        """Send a step's form where its description says (a PUT of the step, or Buy's POST)."""
        headers = self._auth(token)
        if etag:
            headers["If-Match"] = etag
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return await send(
            self._http, SERVICE, submit.method.upper(), submit.href, json=data, headers=headers
        )

    async def start_sign_in(self, token: str, draft_id: str, redirect_uri: str) -> SignInStart:
        """Start the draft's Microsoft sign-in; Microsoft comes back to `redirect_uri`."""
        response = await send(
            self._http,
            SERVICE,
            "POST",
            f"/v1/drafts/{draft_id}/microsoft-sign-in",
            json={"redirect_uri": redirect_uri},
            headers=self._auth(token),
        )
        return SignInStart.model_validate(response.json())

    async def cancel_draft(self, token: str, draft_id: str) -> None:
        """Cancel the draft (an emptied cart)."""
        await send(
            self._http, SERVICE, "DELETE", f"/v1/drafts/{draft_id}", headers=self._auth(token)
        )

    async def list_orders(self, token: str) -> list[Order]:
        """The customer's orders, newest first."""
        response = await send(self._http, SERVICE, "GET", "/v1/orders", headers=self._auth(token))
        body = response.json()
        items = body.get("items", []) if isinstance(body, dict) else body
        return [Order.model_validate(item) for item in items]

    async def get_order(self, token: str, order_id: str) -> Order:
        """One order with its current status."""
        response = await send(
            self._http, SERVICE, "GET", f"/v1/orders/{order_id}", headers=self._auth(token)
        )
        return Order.model_validate(response.json())

    async def reveal_admin_credentials(self, token: str, order_id: str) -> AdminCredentials:
        """The new tenant's admin credentials, once: asking again is refused (410)."""
        response = await send(
            self._http,
            SERVICE,
            "POST",
            f"/v1/orders/{order_id}/admin-credentials",
            headers=self._auth(token),
        )
        return AdminCredentials.model_validate(response.json())

    # ------------------------------------------------------------------ dev mode only

    async def dev_resellers(self) -> list[DevReseller]:
        """The resellers checkout's dev sign-in offers (dev mode only: 404 elsewhere)."""
        response = await send(self._http, SERVICE, "GET", "/v1/dev/resellers")
        return [DevReseller.model_validate(item) for item in response.json()]

    async def dev_token(self, account_id: str, reseller_id: str) -> DevToken:
        """A dev token for the account buying through the reseller (422: no such reseller,
        or an account id checkout does not accept)."""
        response = await send(
            self._http,
            SERVICE,
            "POST",
            "/v1/dev/tokens",
            json={"account_id": account_id, "reseller_id": reseller_id},
        )
        return DevToken.model_validate(response.json())


def _snapshot(response: httpx.Response) -> DraftSnapshot:
    return DraftSnapshot(Draft.model_validate(response.json()), response.headers.get("ETag"))
