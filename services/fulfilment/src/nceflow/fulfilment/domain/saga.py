"""The fulfilment saga: which Partner Center step comes next for an order, and what each outcome
does to the order's progress. Pure Python: no I/O, time and ids are passed in.

The saga is one record per order (`Saga`), saved after every transition by the service layer.
Every transition returns the events it causes; the service stores them in the same write as the
new state (an outbox), so a crash never loses or invents a step.

Idempotency across crashes: the `MS-RequestId` of every call that creates something in Partner
Center (customer, cart, checkout) is generated when the saga starts (or when an expired cart is
replaced) and saved before the call, so a call repeated after a crash carries the same id. The
checkout and the customer creation are also flagged as *attempted* before they are sent: after a
restart the saga then reads Partner Center first (the cart, the domain) instead of trusting that
nothing happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from nceflow.fulfilment.domain.failures import Failure
from nceflow.schemas import (
    AccountChoice,
    ErrorSource,
    FulfilmentEvent,
    FulfilmentStarted,
    FulfilmentStep,
    FulfilmentStepCompleted,
    OrderConfirmed,
    OrderFailed,
    OrderGroupError,
    OrderPlaced,
    ProvisioningStatus,
    Qualification,
    SalesModel,
)

NewId = Callable[[], str]
"""Makes a fresh `MS-RequestId` (a GUID)."""


class SagaStep(StrEnum):
    """The saga's steps, in the order they run. Not every order needs every step."""

    VALIDATE_RESELLER = "validate_reseller"
    """Indirect sales only, first: the reseller may be the partner of record (internal)."""
    FIND_CUSTOMER = "find_customer"
    CREATE_CUSTOMER = "create_customer"
    VERIFY_RELATIONSHIP = "verify_relationship"
    ATTEST_MCA = "attest_mca"
    ADD_QUALIFICATION = "add_qualification"
    REFRESH_AVAILABILITY = "refresh_availability"
    """Only after Partner Center said a line's catalog item is gone: read it again."""
    CREATE_CART = "create_cart"
    CHECK_OUT = "check_out"
    FOLLOW_ORDER = "follow_order"


# An order replaces its cart at most this often: a cart lives 7 days, so more means something
# else is wrong and an operator should look.
MAX_CART_REPLACEMENTS = 3

# The event step each saga step completes (FOLLOW_ORDER completes with OrderPlaced instead;
# REFRESH_AVAILABILITY is internal and completes none).
EVENT_STEP: dict[SagaStep, FulfilmentStep] = {
    SagaStep.FIND_CUSTOMER: FulfilmentStep.CUSTOMER_RESOLVED,
    SagaStep.CREATE_CUSTOMER: FulfilmentStep.CUSTOMER_CREATED,
    SagaStep.VERIFY_RELATIONSHIP: FulfilmentStep.RELATIONSHIP_VERIFIED,
    SagaStep.ATTEST_MCA: FulfilmentStep.MCA_ATTESTED,
    SagaStep.ADD_QUALIFICATION: FulfilmentStep.QUALIFICATION_ADDED,
    SagaStep.CREATE_CART: FulfilmentStep.CART_CREATED,
    SagaStep.CHECK_OUT: FulfilmentStep.CHECKED_OUT,
}


class SagaStatus(StrEnum):
    """Where the order stands."""

    IN_PROGRESS = "in_progress"
    """Steps remain before the order is placed (running now or parked until a due time)."""
    PLACED = "placed"
    """Partner Center accepted the order; the saga follows it until provisioned."""
    COMPLETED = "completed"
    """Partner Center completed the order (or we stopped following it): nothing left to do."""
    FAILED = "failed"
    """A permanent failure ended the saga; `failure` says why. Re-drivable when retryable."""


class RetryPolicy(BaseModel):
    """How a parked order comes back after a retryable failure."""

    model_config = ConfigDict(frozen=True)

    initial_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    give_up_after: timedelta = timedelta(hours=24)
    """A step failing retryably for this long fails the order (re-drivable by an operator)."""


class CartRecord(BaseModel):
    """The cart this order is checked out from."""

    cart_id: str
    created_with_request_id: str
    expires_at: datetime | None = None


class StepRecord(BaseModel):
    """One completed step, for `status` and support."""

    step: SagaStep
    at: datetime
    already_done: bool = False


class FailureRecord(BaseModel):
    """The permanent failure that ended the saga."""

    code: str
    code_source: ErrorSource
    reason: str
    retryable: bool
    action_url: str | None = None
    step: FulfilmentStep | None = None
    at: datetime

    @classmethod
    def of(cls, failure: Failure, at: datetime) -> FailureRecord:
        return cls(
            code=failure.code,
            code_source=failure.code_source,
            reason=failure.reason,
            retryable=failure.retryable,
            action_url=failure.action_url,
            step=failure.step,
            at=at,
        )


class Saga(BaseModel):
    """The progress of placing one order in Partner Center."""

    order: OrderConfirmed
    event_id: str
    """CloudEvents id of the `OrderConfirmed` that started the saga."""
    status: SagaStatus = SagaStatus.IN_PROGRESS
    started_at: datetime
    updated_at: datetime

    # Request ids made before the calls they identify (see the module docstring).
    customer_request_id: str
    cart_request_id: str
    checkout_request_id: str
    customer_create_attempted: bool = False
    checkout_attempted: bool = False

    reseller_validated: bool = False
    customer_id: str | None = None
    customer_created: bool = False
    relationship_verified: bool = False
    relationship_wait_started_at: datetime | None = None
    mca_done: bool = False
    mca_rechecked: bool = False
    qualification_done: bool = False
    catalog_items: list[str] = Field(default_factory=list)
    """The lines' current `catalogItemId`s once re-read (empty: the order's own)."""
    availability_refresh_due: bool = False
    availability_refreshed: bool = False
    cart: CartRecord | None = None
    replaced_carts: list[str] = Field(default_factory=list)
    order_ids: list[str] = Field(default_factory=list)
    order_errors: list[OrderGroupError] = Field(default_factory=list)
    subscription_ids: list[str] = Field(default_factory=list)
    follow_until: datetime | None = None

    # Retry bookkeeping of the current step.
    attempts: int = 0
    retrying_since: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None

    failure: FailureRecord | None = None
    history: list[StepRecord] = Field(default_factory=list)

    # Not saved: true only in the run that created the cart, until its checkout is sent.
    _cart_made_in_this_run: bool = PrivateAttr(default=False)

    # ------------------------------------------------------------------ start

    @classmethod
    def start(
        cls, order: OrderConfirmed, *, event_id: str, now: datetime, new_id: NewId
    ) -> tuple[Self, list[FulfilmentEvent]]:
        """A new saga for a confirmed order, with its request ids made up front."""
        saga = cls(
            order=order,
            event_id=event_id,
            started_at=now,
            updated_at=now,
            customer_request_id=new_id(),
            cart_request_id=new_id(),
            checkout_request_id=new_id(),
        )
        return saga, [FulfilmentStarted(**saga._ids())]

    # ------------------------------------------------------------------ queries

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def is_new_tenant(self) -> bool:
        return self.order.account is AccountChoice.NEW

    @property
    def wants_qualification(self) -> bool:
        return self.order.qualification is Qualification.STATE_OWNED_ENTITY

    @property
    def is_finished(self) -> bool:
        """Nothing left to do: completed or failed."""
        return self.status in (SagaStatus.COMPLETED, SagaStatus.FAILED)

    def next_step(self) -> SagaStep | None:
        """The step to run now, or None when the saga is finished."""
        if self.is_finished:
            return None
        if self.order.reseller.sales_model is SalesModel.INDIRECT and not self.reseller_validated:
            return SagaStep.VALIDATE_RESELLER
        if self.customer_id is None:
            return SagaStep.CREATE_CUSTOMER if self.is_new_tenant else SagaStep.FIND_CUSTOMER
        if not self.is_new_tenant and not self.relationship_verified:
            return SagaStep.VERIFY_RELATIONSHIP
        if not self.mca_done:
            return SagaStep.ATTEST_MCA
        if self.wants_qualification and not self.qualification_done:
            return SagaStep.ADD_QUALIFICATION
        if self.cart is None and self.availability_refresh_due:
            return SagaStep.REFRESH_AVAILABILITY
        if self.cart is None:
            return SagaStep.CREATE_CART
        if not self.order_ids:
            return SagaStep.CHECK_OUT
        return SagaStep.FOLLOW_ORDER

    def catalog_item_id(self, index: int) -> str:
        """The `catalogItemId` to put in the cart for the order's line `index`."""
        if self.catalog_items:
            return self.catalog_items[index]
        return self.order.items[index].catalog_item_id

    def cart_expired(self, now: datetime) -> bool:
        """Whether the stored cart is past its 7-day life."""
        return (
            self.cart is not None
            and self.cart.expires_at is not None
            and self.cart.expires_at <= now
        )

    # ------------------------------------------------------------------ transitions

    def mark_customer_create_attempted(self, now: datetime) -> None:
        """Saved before `POST /customers`: after a crash, look the domain up before creating."""
        self.customer_create_attempted = True
        self._touch(now)

    def mark_checkout_attempted(self, now: datetime) -> None:
        """Saved before the checkout: after a crash, read the cart before checking out again.
        (`record_cart` sets it already; a saga saved by an older version may lack it.)"""
        self.checkout_attempted = True
        self._touch(now)

    def record_customer(
        self, customer_id: str, *, created: bool, already_done: bool, now: datetime
    ) -> list[FulfilmentEvent]:
        """The customer tenant is known (found, or created by us)."""
        step = SagaStep.CREATE_CUSTOMER if created else SagaStep.FIND_CUSTOMER
        self.customer_id = customer_id
        self.customer_created = created
        return self._completed(step, now, already_done=already_done, customer_id=customer_id)

    def record_reseller_validated(self, now: datetime) -> None:
        """Partner Center confirmed the reseller as a valid partner of record."""
        self.reseller_validated = True
        self._reset_retries()
        self.history.append(StepRecord(step=SagaStep.VALIDATE_RESELLER, at=now, already_done=True))
        self._touch(now)

    def record_relationship_verified(self, now: datetime) -> list[FulfilmentEvent]:
        """Partner Center shows a reseller relationship with the customer."""
        self.relationship_verified = True
        self.relationship_wait_started_at = None
        return self._completed(SagaStep.VERIFY_RELATIONSHIP, now, already_done=True)

    def relationship_wait(self, now: datetime, window: timedelta) -> timedelta | None:
        """The relationship is not visible yet. Returns how much longer to keep re-checking,
        or None when the window is over and the order should fail."""
        if self.relationship_wait_started_at is None:
            self.relationship_wait_started_at = now
        left = self.relationship_wait_started_at + window - now
        self._touch(now)
        return left if left > timedelta(0) else None

    def record_mca(self, *, already_done: bool, now: datetime) -> list[FulfilmentEvent]:
        """The Microsoft Customer Agreement is on record for the customer."""
        self.mca_done = True
        return self._completed(SagaStep.ATTEST_MCA, now, already_done=already_done)

    def recheck_mca(self, now: datetime, new_id: NewId) -> bool:
        """Partner Center says the MCA is missing at checkout: attest again and retry once.
        Returns False when that was tried already (then the order fails). The refused
        checkout's `MS-RequestId` got its answer: the next checkout is a new call."""
        if self.mca_rechecked:
            return False
        self.mca_rechecked = True
        self.mca_done = False
        self.renew_checkout_request_id(new_id)
        self._touch(now)
        return True

    def renew_checkout_request_id(self, new_id: NewId) -> None:
        """Partner Center answered the checkout (a business answer, not a timeout): "upon
        receiving a response (success or business failure), the value should be reset"
        ("Partner Center REST headers"), or the next checkout gets the same answer again."""
        self.checkout_request_id = new_id()

    def record_qualification(self, *, already_done: bool, now: datetime) -> list[FulfilmentEvent]:
        """The State Owned Entity qualification is on record for the customer."""
        self.qualification_done = True
        return self._completed(SagaStep.ADD_QUALIFICATION, now, already_done=already_done)

    def record_cart(
        self, cart_id: str, *, expires_at: datetime | None, now: datetime
    ) -> list[FulfilmentEvent]:
        """The cart with all items exists; its id is what the checkout uses.

        The checkout comes next with no other call in between, so the checkout is flagged as
        attempted in this same save (one write fewer per order). A saga loaded after a crash
        then reads the cart before checking out; the run that made the cart knows nothing was
        sent yet (`take_unsent_checkout`) and checks out at once."""
        self.cart = CartRecord(
            cart_id=cart_id, created_with_request_id=self.cart_request_id, expires_at=expires_at
        )
        self.checkout_attempted = True
        self._cart_made_in_this_run = True
        return self._completed(SagaStep.CREATE_CART, now, cart_id=cart_id)

    def take_unsent_checkout(self) -> bool:
        """True once after `record_cart` in this run (this object, not a saga loaded from the
        store): no checkout of the cart was sent yet, whatever `checkout_attempted` says, so
        there is no earlier attempt to look for. Asking clears it: a second checkout in the
        same run (after an MCA re-check) reads the cart first like any other."""
        unsent, self._cart_made_in_this_run = self._cart_made_in_this_run, False
        return unsent

    def replace_expired_cart(self, *, now: datetime, new_id: NewId) -> bool:
        """The cart expired without an order: forget it and make new request ids, so that the
        next cart and its checkout are new calls for Partner Center. Returns False (nothing
        changed) after `MAX_CART_REPLACEMENTS`: then the order fails."""
        if self.cart is None:
            raise ValueError("no cart to replace")
        if len(self.replaced_carts) >= MAX_CART_REPLACEMENTS:
            return False
        self._forget_cart(new_id)
        self._touch(now)
        return True

    def availability_gone(self, *, now: datetime, new_id: NewId) -> bool:
        """Partner Center no longer knows a line's catalog item (at the cart or the checkout):
        read the availabilities again and build a new cart, once. Returns False when that was
        done already (then the order fails with Microsoft's reason)."""
        if self.availability_refreshed:
            return False
        self.availability_refresh_due = True
        if self.cart is not None:
            self._forget_cart(new_id)
        else:
            # The cart call got its answer (404): its request id is spent.
            self.cart_request_id = new_id()
        self._touch(now)
        return True

    def record_availability(self, catalog_item_ids: list[str], *, now: datetime) -> None:
        """The lines' current catalog items, read again from Partner Center's catalogue."""
        if len(catalog_item_ids) != len(self.order.items):
            raise ValueError("one catalog item per line is needed")
        self.catalog_items = list(catalog_item_ids)
        self.availability_refresh_due = False
        self.availability_refreshed = True
        self._reset_retries()
        self.history.append(StepRecord(step=SagaStep.REFRESH_AVAILABILITY, at=now))
        self._touch(now)

    def _forget_cart(self, new_id: NewId) -> None:
        if self.cart is None:
            raise ValueError("no cart to forget")
        self.replaced_carts.append(self.cart.cart_id)
        self.cart = None
        self.cart_request_id = new_id()
        self.checkout_request_id = new_id()
        self.checkout_attempted = False
        self._cart_made_in_this_run = False

    def record_checkout(
        self,
        order_ids: list[str],
        *,
        already_done: bool,
        now: datetime,
        follow_for: timedelta,
        order_errors: list[OrderGroupError] | None = None,
    ) -> list[FulfilmentEvent]:
        """The cart was checked out: the order is placed (provisioning pending), perhaps only
        in part (`order_errors`: the order groups Partner Center refused)."""
        if self.cart is None or self.customer_id is None:
            raise ValueError("checkout recorded before the cart")
        self.order_ids = list(order_ids)
        self.order_errors = list(order_errors or [])
        self.status = SagaStatus.PLACED
        self.follow_until = now + follow_for
        events = self._completed(
            SagaStep.CHECK_OUT,
            now,
            already_done=already_done,
            customer_id=self.customer_id,
            cart_id=self.cart.cart_id,
            order_ids=self.order_ids,
        )
        events.append(self._placed(ProvisioningStatus.PENDING))
        return events

    def record_provisioning(
        self,
        subscription_ids: list[str],
        *,
        completed: bool,
        now: datetime,
        order_errors: list[OrderGroupError] | None = None,
    ) -> list[FulfilmentEvent]:
        """Progress of the placed order. Completed (Partner Center is done with every order):
        emit `OrderPlaced` with the subscriptions and finish; `order_errors` names the orders
        it ended without provisioning them all, which the customer must buy again. Not
        completed after `follow_until`: stop following quietly (the order is placed; Partner
        Center finishes it on its own)."""
        self.subscription_ids = list(subscription_ids)
        known = {error.order_group_id for error in self.order_errors}
        self.order_errors += [e for e in order_errors or [] if e.order_group_id not in known]
        self._reset_retries()
        if completed:
            self.status = SagaStatus.COMPLETED
            self.history.append(StepRecord(step=SagaStep.FOLLOW_ORDER, at=now))
            self._touch(now)
            return [self._placed(ProvisioningStatus.COMPLETED)]
        if self.follow_until is not None and now >= self.follow_until:
            self.status = SagaStatus.COMPLETED
        self._touch(now)
        return []

    def defer(
        self,
        error: str,
        *,
        now: datetime,
        policy: RetryPolicy,
        retry_after: timedelta | None = None,
        jitter: float = 0.0,
    ) -> datetime | None:
        """A retryable failure: park the order. Returns when to come back, or None when the
        step has failed retryably for longer than `policy.give_up_after` (then call `fail`).

        The delay doubles per attempt from `initial_delay` up to `max_delay`, scaled by
        `jitter` in [0, 1) so parked orders do not come back in a herd; Microsoft's
        `Retry-After` is a floor."""
        if self.retrying_since is None:
            self.retrying_since = now
        if now - self.retrying_since >= policy.give_up_after:
            return None
        backoff = min(policy.max_delay, policy.initial_delay * (2**self.attempts))
        delay = backoff * (0.5 + jitter / 2)
        if retry_after is not None:
            delay = max(delay, retry_after)
        self.attempts += 1
        self.last_error = error
        self.next_attempt_at = now + delay
        self._touch(now)
        return self.next_attempt_at

    def come_back_at(self, due: datetime, now: datetime) -> None:
        """Park without counting a failed attempt (a planned re-check, not an error)."""
        self.next_attempt_at = due
        self._touch(now)

    def fail(self, failure: Failure, *, now: datetime) -> list[FulfilmentEvent]:
        """End the saga with a permanent failure the customer can act on."""
        self.status = SagaStatus.FAILED
        self.failure = FailureRecord.of(failure, now)
        self.next_attempt_at = None
        self._touch(now)
        return [self._failed(self.failure)]

    def current_state(self) -> list[FulfilmentEvent]:
        """Where the order stands, as events, for a subscriber that may have missed them (an
        `OrderConfirmed` re-emitted for an order this saga knows): `FulfilmentStarted`, then
        `OrderPlaced` once placed. A failed saga answers `OrderFailed` alone: to subscribers a
        `FulfilmentStarted` after a failure means a re-drive."""
        if self.status is SagaStatus.FAILED and self.failure is not None:
            return [self._failed(self.failure)]
        events: list[FulfilmentEvent] = [FulfilmentStarted(**self._ids())]
        if self.status in (SagaStatus.PLACED, SagaStatus.COMPLETED) and self.customer_id:
            provisioned = any(record.step is SagaStep.FOLLOW_ORDER for record in self.history)
            events.append(
                self._placed(
                    ProvisioningStatus.COMPLETED if provisioned else ProvisioningStatus.PENDING
                )
            )
        return events

    def redrive(self, *, now: datetime, new_id: NewId) -> bool:
        """An operator re-drives a failed order (e.g. after the customer accepted the
        relationship): resume at the step that failed. Returns False when there is nothing to
        re-drive (placed or completed orders are never placed again).

        The request ids are new: the failure was Partner Center's answer (or a long outage),
        and a spent id would get the same answer again. What an earlier attempt may have
        created is found by reading first: the domain after a customer attempt, the cart
        after a checkout attempt (`*_attempted` stay set)."""
        if self.status is not SagaStatus.FAILED:
            return False
        self.customer_request_id = new_id()
        self.cart_request_id = new_id()
        self.checkout_request_id = new_id()
        self.status = SagaStatus.IN_PROGRESS
        self.failure = None
        self.relationship_wait_started_at = None
        self._reset_retries()
        self._touch(now)
        return True

    # ------------------------------------------------------------------ helpers

    def _ids(self) -> dict[str, str]:
        return {"order_id": self.order.order_id, "correlation_id": self.order.correlation_id}

    def _touch(self, now: datetime) -> None:
        self.updated_at = now

    def _reset_retries(self) -> None:
        self.attempts = 0
        self.retrying_since = None
        self.next_attempt_at = None
        self.last_error = None

    def _completed(
        self,
        step: SagaStep,
        now: datetime,
        *,
        already_done: bool = False,
        customer_id: str | None = None,
        cart_id: str | None = None,
        order_ids: list[str] | None = None,
    ) -> list[FulfilmentEvent]:
        self._reset_retries()
        self.history.append(StepRecord(step=step, at=now, already_done=already_done))
        self._touch(now)
        return [
            FulfilmentStepCompleted(
                **self._ids(),
                step=EVENT_STEP[step],
                already_done=already_done,
                customer_id=customer_id,
                cart_id=cart_id,
                order_ids=order_ids or [],
            )
        ]

    def _failed(self, failure: FailureRecord) -> OrderFailed:
        return OrderFailed(
            **self._ids(),
            code=failure.code,
            code_source=failure.code_source,
            reason=failure.reason,
            action_url=failure.action_url,
            retryable=failure.retryable,
            failed_step=failure.step,
        )

    def _placed(self, provisioning: ProvisioningStatus) -> OrderPlaced:
        if self.customer_id is None:
            raise ValueError("placed without a customer")
        return OrderPlaced(
            **self._ids(),
            customer_id=self.customer_id,
            cart_id=self.cart.cart_id if self.cart else None,
            order_ids=self.order_ids,
            subscription_ids=self.subscription_ids,
            provisioning=provisioning,
            order_errors=self.order_errors,
        )
