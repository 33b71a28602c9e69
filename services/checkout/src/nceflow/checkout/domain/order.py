"""The customer's view of a bought order, kept up to date from fulfilment's events."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from nceflow.checkout.domain.draft import Draft
from nceflow.checkout.domain.pricing import CartLine, CartTotal
from nceflow.checkout.domain.steps import AccountKind

# Enough to recognise a redelivery: fulfilment emits a handful of events per order.
_REMEMBERED_EVENTS = 64


class OrderStatus(StrEnum):
    """Where the order is, as the customer sees it."""

    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    PLACED = "placed"
    FAILED = "failed"


class AdminCredentialsState(StrEnum):
    """A new tenant's first admin password, from the customer's side: Partner Center gives it
    out once, when it creates the tenant, and the customer sees it once."""

    PENDING = "pending"
    """The tenant is not created yet."""
    READY = "ready"
    """Waiting for the customer to look (`POST /v1/orders/{id}/admin-credentials`)."""
    SHOWN = "shown"
    """Shown to the customer already; never again."""
    UNAVAILABLE = "unavailable"
    """Not kept (expired unseen, or lost): the reseller resets it in Partner Center."""


FINAL_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.FAILED})
"""Statuses after which checkout stops waiting for fulfilment (a re-drive reopens a failure)."""


class RedeliveryPolicy(BaseModel):
    """When checkout re-emits `OrderConfirmed` for an order fulfilment has gone quiet about.

    The outbox proves an event reached the broker, not that anyone read it: a broker that
    forgets (the embedded one on restart, a recreated topic) would leave the order waiting for
    ever. The wait doubles with each re-emit that brings no progress, from `first` up to `most`.
    """

    model_config = ConfigDict(frozen=True)

    first: timedelta = timedelta(seconds=60)
    most: timedelta = timedelta(hours=1)

    def wait(self, redeliveries: int) -> timedelta:
        """How long to wait for news after the `redeliveries`-th re-emit (0: after Buy)."""
        # The exponent is capped so that a long-stuck order cannot overflow the multiplication.
        grown: timedelta = self.first * (2 ** min(redeliveries, 20))
        return min(self.most, grown)


class OrderFailure(BaseModel):
    """Why fulfilment could not place the order and what the customer can do."""

    model_config = ConfigDict(frozen=True)

    code: str
    reason: str
    action_url: str | None = None
    retryable: bool


class UnorderedPart(BaseModel):
    """A part of the cart Partner Center refused while it ordered the rest (partial checkout)."""

    model_config = ConfigDict(frozen=True)

    order_group_id: str | None = None
    code: str
    description: str


class Order(BaseModel):
    """One bought draft. Its id is the draft's id."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    account_id: str
    reseller_id: str
    status: OrderStatus = OrderStatus.CONFIRMED
    confirmed_at: datetime
    updated_at: datetime
    lines: tuple[CartLine, ...]
    totals: tuple[CartTotal, ...]
    tenant_domain: str | None = None
    customer_id: str | None = None
    partner_center_order_ids: tuple[str, ...] = ()
    subscription_ids: tuple[str, ...] = ()
    provisioning: str | None = None
    unordered_parts: tuple[UnorderedPart, ...] = ()
    failure: OrderFailure | None = None
    applied_event_ids: tuple[str, ...] = ()
    redeliveries: int = 0
    """`OrderConfirmed` re-emits since fulfilment last showed progress (sets the next wait)."""
    new_tenant: bool = False
    """Partner Center creates the customer's tenant: its first admin's password is for them."""
    admin_credentials_shown_at: datetime | None = None
    """When the customer was shown the new tenant's admin password (it is shown once)."""

    @classmethod
    def from_confirmed(cls, draft: Draft) -> Order:
        """The order a confirmed draft becomes."""
        assert draft.cart is not None
        assert draft.confirmation is not None
        domain = (
            draft.company_profile.domain
            if draft.company_profile is not None
            else draft.tenant_domain.primary_domain
            if draft.tenant_domain is not None
            else None
        )
        return cls(
            order_id=draft.id,
            account_id=draft.account_id,
            reseller_id=draft.reseller.reseller_id,
            confirmed_at=draft.confirmation.confirmed_at,
            updated_at=draft.confirmation.confirmed_at,
            lines=draft.cart.lines,
            totals=draft.cart.totals,
            tenant_domain=domain,
            new_tenant=draft.account is not None and draft.account.kind is AccountKind.NEW,
        )

    @property
    def is_final(self) -> bool:
        """Whether fulfilment has said its last word (placed, or failed until a re-drive)."""
        return self.status in FINAL_STATUSES

    def progressed(self) -> Order:
        """Fulfilment showed progress: the next re-emit, if any, waits the shortest time again."""
        return self.model_copy(update={"redeliveries": 0}) if self.redeliveries else self

    def redelivered(self) -> Order:
        """`OrderConfirmed` was emitted again for this order."""
        return self.model_copy(update={"redeliveries": self.redeliveries + 1})

    def has_applied(self, event_id: str) -> bool:
        """Whether the event with this id was applied already (a redelivery)."""
        return event_id in self.applied_event_ids

    def _with(self, event_id: str, at: datetime, **update: object) -> Order:
        remembered = (*self.applied_event_ids, event_id)[-_REMEMBERED_EVENTS:]
        return self.model_copy(
            update={
                **update,
                "applied_event_ids": remembered,
                "updated_at": max(at, self.updated_at),
            }
        )

    def processing(self, event_id: str, at: datetime) -> Order:
        """Fulfilment started or progressed. A placed order stays placed (events may be late)."""
        if self.status is OrderStatus.PLACED:
            return self._with(event_id, at)
        # After a failure, a new start means the order is being re-driven: the failure is history.
        return self._with(event_id, at, status=OrderStatus.PROCESSING, failure=None)

    def placed(
        self,
        event_id: str,
        at: datetime,
        *,
        customer_id: str,
        order_ids: tuple[str, ...],
        subscription_ids: tuple[str, ...],
        provisioning: str,
        unordered_parts: tuple[UnorderedPart, ...] = (),
    ) -> Order:
        """Partner Center accepted the order (again later, with subscription ids)."""
        return self._with(
            event_id,
            at,
            status=OrderStatus.PLACED,
            customer_id=customer_id,
            partner_center_order_ids=order_ids or self.partner_center_order_ids,
            subscription_ids=subscription_ids or self.subscription_ids,
            provisioning=provisioning,
            unordered_parts=unordered_parts or self.unordered_parts,
            failure=None,
        )

    def admin_credentials_state(self, waiting: bool) -> AdminCredentialsState | None:
        """Where the new tenant's admin password is for the customer; None without one.
        `waiting`: whether fulfilment's handoff holds it (Partner Center gave it out)."""
        if not self.new_tenant:
            return None
        if waiting:
            return AdminCredentialsState.READY
        if self.admin_credentials_shown_at is not None:
            return AdminCredentialsState.SHOWN
        if self.status is OrderStatus.PLACED:
            # Partner Center made the tenant, but its password expired unseen or was lost.
            return AdminCredentialsState.UNAVAILABLE
        if self.status is OrderStatus.FAILED:
            return None
        return AdminCredentialsState.PENDING

    def admin_credentials_shown(self, at: datetime) -> Order:
        """The customer has seen the admin password."""
        return self.model_copy(update={"admin_credentials_shown_at": at})

    def failed(self, event_id: str, at: datetime, failure: OrderFailure) -> Order:
        """Fulfilment gave up; a placed order is never turned back into a failure."""
        if self.status is OrderStatus.PLACED:
            return self._with(event_id, at)
        return self._with(event_id, at, status=OrderStatus.FAILED, failure=failure)
