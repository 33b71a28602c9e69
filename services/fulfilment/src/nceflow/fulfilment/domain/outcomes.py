"""What a saga step reports: a checkout's result, and the signals the service layer acts on
besides success.

Adapters translate Partner Center's errors into these, so the saga rules never see HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nceflow.fulfilment.domain.failures import Failure
from nceflow.schemas import OrderGroupError


@dataclass(frozen=True, slots=True)
class CheckedOut:
    """What a checkout answered: the orders placed, the order groups it refused while placing the
    rest (a partial checkout) and, when Partner Center already says so, that the orders are
    complete (then following them would read nothing new)."""

    order_ids: list[str]
    already_done: bool = False
    subscription_ids: list[str] = field(default_factory=list)
    completed: bool = False
    order_errors: list[OrderGroupError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Followed:
    """What reading the placed orders found: their subscriptions, whether Partner Center is done
    with every order, and the orders it ended without provisioning them all (an `error`,
    `cancelled` or `partial success` order: "partners should repurchase")."""

    subscription_ids: list[str]
    finished: bool
    order_errors: list[OrderGroupError] = field(default_factory=list)


class StepError(Exception):
    """Base of the signals a step raises instead of returning."""


class StepFailed(StepError):
    """A permanent failure: the order ends with `OrderFailed`."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(f"{failure.code}: {failure.reason}")
        self.failure = failure


class StepRetryable(StepError):
    """A transient failure (throttling, 5xx, timeouts, checkout outcome unknown): park the order
    and come back later. `retry_after` is Microsoft's `Retry-After`, when it gave one.
    `answered`: Partner Center answered the call (a business answer such as 800060, not a
    timeout), so its `MS-RequestId` is spent and the next attempt needs a new one.
    `placed`: the cart reads `Ordered`, so the order exists and is never failed; only its order
    ids are not known yet."""

    def __init__(
        self,
        description: str,
        *,
        retry_after: timedelta | None = None,
        answered: bool = False,
        placed: bool = False,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after
        self.answered = answered
        self.placed = placed


class RelationshipNotVisible(StepError):
    """The customer says it accepted the reseller relationship but Partner Center does not show
    it (yet): re-check for a while before failing. `failure` is what to report when time is up."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class CartExpired(StepError):
    """The stored cart is past its 7-day life and no order came from it: replace it."""

    def __init__(self, cart_id: str, expired_at: datetime | None) -> None:
        super().__init__(f"cart {cart_id} expired at {expired_at}")
        self.cart_id = cart_id
        self.expired_at = expired_at


class McaNotOnRecord(StepError):
    """Checkout refused with 13605 (no MCA) although the saga attested it: attest again and
    retry the checkout once; `failure` is what to report if it happens again."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class AvailabilityGone(StepError):
    """Partner Center no longer knows a line's catalog item (404 with 400013, 400018 or 400019,
    at the cart or at the checkout): "issue a new GET to ensure they have the current
    availability ID and retry" ("Partner Center REST error codes"). The saga re-reads the
    availabilities once and builds the cart again; `failure` is what to report otherwise."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure
