"""Order use cases: the customer's orders, their status from fulfilment's events, the re-emits
of `OrderConfirmed` while fulfilment is quiet, and a new tenant's admin credentials once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Protocol

import structlog
from redis.exceptions import RedisError

from nceflow.checkout.auth import Customer
from nceflow.checkout.domain.draft import (
    CustomerRecord,
    McaAcceptance,
)
from nceflow.checkout.domain.order import (
    AdminCredentialsState,
    Order,
    OrderFailure,
    OrderStatus,
    RedeliveryPolicy,
    UnorderedPart,
)
from nceflow.checkout.errors import (
    AdminCredentialsUnavailable,
    ConcurrentUpdate,
    NotFound,
)
from nceflow.checkout.events import (
    outbox_entry,
)
from nceflow.checkout.repository import DraftRepository, OrderWrite
from nceflow.checkout.resellers import ResellerDirectory
from nceflow.runtime.clock import Clock, utc_now
from nceflow.runtime.handoff import AdminCredentials
from nceflow.schemas import (
    FulfilmentStarted,
    FulfilmentStepCompleted,
    OrderConfirmed,
    OrderFailed,
    OrderPlaced,
)
from nceflow.schemas.envelope import ReceivedEvent

_log = structlog.get_logger(__name__)


class AdminHandoff(Protocol):
    """Where fulfilment leaves a new tenant's admin credentials (`nceflow.runtime.handoff`)."""

    async def waiting(self, order_id: str) -> bool: ...

    async def take(self, order_id: str) -> AdminCredentials | None: ...


class OrderService:
    """Order use cases over the repository and the reseller directory (for trusted links)."""

    def __init__(
        self,
        store: DraftRepository,
        directory: ResellerDirectory,
        *,
        redelivery: RedeliveryPolicy | None = None,
        on_redelivered: Callable[[], None] | None = None,
        handoff: AdminHandoff | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._directory = directory
        self._redelivery = redelivery or RedeliveryPolicy()
        self._on_redelivered = on_redelivered or (lambda: None)
        self._handoff = handoff
        self._clock = clock

    async def redeliver_due(self, *, limit: int = 100) -> int:
        """Re-emit `OrderConfirmed` (a new event id, the same order and content) for every order
        fulfilment has been quiet about past its time; returns how many.

        At least once end to end: a broker that forgot the first `OrderConfirmed`, or the
        fulfilment event that answered it, loses no order; fulfilment answers a re-emit of an
        order it knows with the order's current state and never places it twice. Safe in every
        replica at once: each order is re-emitted once per wait (`DraftRepository.redeliver_due`).
        """
        now = self._clock()

        def change(order: Order, kept: bytes) -> OrderWrite:
            event = OrderConfirmed.model_validate_json(kept)
            again = order.redelivered()
            return OrderWrite(
                again,
                reemit_at=now + self._redelivery.wait(again.redeliveries),
                events=[outbox_entry(event, now)],
            )

        emitted = await self._store.redeliver_due(now, limit, change)
        for again in emitted:
            self._on_redelivered()
            _log.warning(
                "order confirmed again: no news from fulfilment",
                order_id=again.order_id,
                status=again.status.value,
                redeliveries=again.redeliveries,
            )
        return len(emitted)

    async def list_orders(
        self, customer: Customer, *, limit: int, before_ms: int | None
    ) -> list[Order]:
        """The customer's orders, newest first."""
        return await self._store.list_orders(customer.account_id, limit=limit, before_ms=before_ms)

    def _trusted_link(self, order: Order, url: str | None) -> str | None:
        """The failure's link, shown to the customer only if it is one the marketplace itself
        gave out: the order's reseller's links (directory) or Microsoft's agreement page. An
        event is no authority on where a customer is sent (a forged one could phish)."""
        if url is None:
            return None
        reseller = self._directory.get(order.reseller_id)
        trusted = {MICROSOFT_CUSTOMER_AGREEMENT_URL}
        if reseller is not None:
            trusted |= {reseller.relationship_link, reseller.mca_link, reseller.terms_link}
        if url in trusted:
            return url
        _log.warning("untrusted failure link dropped", order_id=order.order_id)
        return None

    async def get_order(self, customer: Customer, order_id: str) -> Order:
        """One of the customer's orders."""
        order = await self._store.get_order(customer.account_id, order_id)
        if order is None:
            raise NotFound(order_id)
        return order

    async def admin_credentials_state(self, order: Order) -> AdminCredentialsState | None:
        """Whether the order's new tenant has an admin password for the customer to see."""
        if not order.new_tenant:
            return None
        waiting = self._handoff is not None and await self._handoff.waiting(order.order_id)
        return order.admin_credentials_state(waiting)

    async def reveal_admin_credentials(self, customer: Customer, order_id: str) -> AdminCredentials:
        """The new tenant's admin credentials, once: reading them erases them."""
        order = await self.get_order(customer, order_id)
        taken = (
            await self._handoff.take(order_id)
            if order.new_tenant and self._handoff is not None
            else None
        )
        if taken is None:
            raise AdminCredentialsUnavailable(order_id, order.admin_credentials_state(False))
        shown_at = self._clock()
        try:
            await self._store.update_order(
                order_id,
                lambda o: OrderWrite(o.admin_credentials_shown(shown_at)),
                account_id=customer.account_id,
            )
        except (RedisError, ConcurrentUpdate) as exc:
            # The password is erased already: the customer gets it even if the note fails.
            _log.warning("admin credentials shown, not noted", order_id=order_id, error=repr(exc))
        _log.info("admin credentials shown", order_id=order_id, account_id=customer.account_id)
        return taken

    async def apply_fulfilment_event(self, received: ReceivedEvent) -> Order | None:
        """Update the order's status from one fulfilment event; a redelivery changes nothing."""
        event = received.data
        if not isinstance(
            event, FulfilmentStarted | FulfilmentStepCompleted | OrderPlaced | OrderFailed
        ):
            return None
        at = received.time or self._clock()
        # Read before the order is placed (placing drops it): its MCA goes on record.
        kept = (
            await self._store.kept_confirmation(event.order_id)
            if isinstance(event, OrderPlaced)
            else None
        )
        redelivered: list[Order] = []  # the stored order, when it has this event already
        found = False

        def change(order: Order) -> OrderWrite | None:
            nonlocal found
            found = True
            if order.has_applied(received.id):
                redelivered.append(order)
                return None
            updated = apply(order)
            if isinstance(event, FulfilmentStarted) and order.status is OrderStatus.PROCESSING:
                # Fulfilment's answer to a re-emit for a saga still waiting (on Partner Center,
                # on the customer): a sign of life, not progress. The re-emits keep backing off.
                return OrderWrite(updated)
            news_due = self._clock() + self._redelivery.wait(0)
            return OrderWrite(updated.progressed(), news_due=news_due)

        def apply(order: Order) -> Order:
            match event:
                case OrderPlaced():
                    return order.placed(
                        received.id,
                        at,
                        customer_id=event.customer_id,
                        order_ids=tuple(event.order_ids),
                        subscription_ids=tuple(event.subscription_ids),
                        provisioning=event.provisioning.value,
                        unordered_parts=tuple(
                            UnorderedPart(**error.model_dump()) for error in event.order_errors
                        ),
                    )
                case OrderFailed():
                    failure = OrderFailure(
                        code=event.code,
                        reason=event.reason,
                        action_url=self._trusted_link(order, event.action_url),
                        retryable=event.retryable,
                    )
                    return order.failed(received.id, at, failure)
                case _:
                    return order.processing(received.id, at)

        updated = await self._store.update_order(event.order_id, change)
        if not found:
            _log.warning("fulfilment event for an unknown order", order_id=event.order_id)
            return None
        if updated is not None:
            _log.info(
                "order status updated",
                order_id=updated.order_id,
                correlation_id=event.correlation_id,
                status=updated.status.value,
                event_id=received.id,
            )
        placed = updated or (redelivered[-1] if redelivered else None)
        if placed is not None and isinstance(event, OrderPlaced):
            # The tenant now has a relationship with this reseller: later drafts skip that step.
            # Written on a redelivery too (the same value again): when this write failed after
            # the order's (Redis going away in between), the redelivery is its only chance.
            before = await self._store.customer_record(placed.account_id, placed.reseller_id)
            mca = _mca_of(kept) if kept is not None else None
            if (
                mca is None
                and before is not None
                and before.customer_tenant_id == event.customer_id
            ):
                mca = before.mca  # a redelivery: the kept event is gone, the record has it
            record = CustomerRecord(
                relationship_on_record=True,
                customer_tenant_id=event.customer_id,
                primary_domain=placed.tenant_domain,
                mca=mca,
            )
            await self._store.put_customer_record(placed.account_id, placed.reseller_id, record)
            owner = await self._store.bind_tenant(
                placed.reseller_id, event.customer_id, placed.account_id
            )
            if owner != placed.account_id:
                _log.warning(
                    "order placed in a tenant bound to another account",
                    order_id=placed.order_id,
                    correlation_id=event.correlation_id,
                )
        return updated


def _mca_of(kept: bytes) -> McaAcceptance | None:
    """The MCA acceptance of a kept `OrderConfirmed`, as a draft holds it."""
    mca = OrderConfirmed.model_validate_json(kept).mca
    contact = mca.accepted_by
    return McaAcceptance(
        accepted="yes",
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        phone=contact.phone,
        date_agreed=datetime.combine(mca.date_agreed, time.min, UTC),
    )


MICROSOFT_CUSTOMER_AGREEMENT_URL = "https://www.microsoft.com/licensing/docs/customeragreement"
"""Microsoft's own page of the agreement: fulfilment's link when the order carried none."""
