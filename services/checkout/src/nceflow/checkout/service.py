"""Use cases of the checkout service: start a draft, save a step, Buy, cancel, expire, orders.

Each use case gathers the outside facts a step needs (catalog prices, Partner Center answers),
then applies the domain change to a freshly read draft inside one Redis transaction that also
writes the change's events to the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

import structlog
from redis.exceptions import RedisError

from nceflow.checkout.auth import Customer
from nceflow.checkout.domain.draft import (
    CustomerRecord,
    Draft,
    DraftStatus,
    McaAcceptance,
    SignedInUser,
    StepChange,
    TenantLookup,
    TenantMatch,
    TenantOwnership,
    TenantProof,
)
from nceflow.checkout.domain.errors import FieldProblem, InvalidStepData, PricesChanged
from nceflow.checkout.domain.order import (
    AdminCredentialsState,
    Order,
    OrderFailure,
    OrderStatus,
    RedeliveryPolicy,
    UnorderedPart,
)
from nceflow.checkout.domain.pricing import PlanQuote
from nceflow.checkout.domain.sign_in import PendingSignIn, SignInRefused
from nceflow.checkout.domain.steps import (
    AccountInput,
    AccountKind,
    CartInput,
    CartItemInput,
    CompanyProfileInput,
    McaInput,
    PartnerOfRecordInput,
    PartnerRelationshipInput,
    QualificationInput,
    ReviewInput,
    StepId,
    StepInput,
    TenantDomainInput,
    TenantSignInInput,
)
from nceflow.checkout.errors import (
    AdminCredentialsUnavailable,
    ConcurrentUpdate,
    DependencyUnavailable,
    NotFound,
    PreconditionFailed,
    TooManyLookups,
    UnknownReseller,
)
from nceflow.checkout.events import (
    order_abandoned,
    order_confirmed,
    order_drafted,
    outbox_entry,
    step_completed,
)
from nceflow.checkout.repository import DraftRepository, Mutation, OrderWrite
from nceflow.checkout.resellers import Reseller, ResellerDirectory
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


class Catalog(Protocol):
    """What the service needs from the catalog (see `adapters.catalog_client`)."""

    async def quotes(self, plan_ids: Sequence[str]) -> dict[str, PlanQuote]: ...


class PartnerCenter(Protocol):
    """What the service needs from Partner Center (see `adapters.partner_center`)."""

    async def domain_available(
        self, reseller: Reseller, domain: str, correlation_id: str
    ) -> bool: ...

    async def find_tenant(
        self, reseller: Reseller, domain: str, correlation_id: str
    ) -> TenantLookup: ...


class AdminHandoff(Protocol):
    """Where fulfilment leaves a new tenant's admin credentials (`nceflow.runtime.handoff`)."""

    async def waiting(self, order_id: str) -> bool: ...

    async def take(self, order_id: str) -> AdminCredentials | None: ...


class MicrosoftSignIn(Protocol):
    """What the service needs from Microsoft's sign-in (see `adapters.microsoft_sign_in`);
    `redeem` raises `SignInRefused` when Microsoft or its ID token says no."""

    def authorize_url(self, pending: PendingSignIn) -> str: ...

    async def redeem(self, pending: PendingSignIn, code: str) -> SignedInUser: ...


@dataclass(frozen=True)
class SignInStarted:
    """Where to send the customer to sign in with Microsoft, and for how long it may take."""

    authorize_url: str
    state: str
    expires_in: int


@dataclass(frozen=True)
class SavedStep:
    """A step's outcome as the API answers it."""

    draft: Draft
    warnings: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True)
class Confirmed:
    """Buy's answer: the order id and its status; `replayed` when the key was seen before."""

    order_id: str
    status: str
    replayed: bool


# Steps that call the catalog or Partner Center: the draft is checked before those calls.
_ASKS_OUTSIDE = frozenset(
    {StepId.CART, StepId.COMPANY_PROFILE, StepId.TENANT_DOMAIN, StepId.TENANT_SIGN_IN}
)
# How long a customer has to sign in with Microsoft once sent there (Entra's codes live 10 min).
SIGN_IN_LIFETIME = timedelta(minutes=10)

# A step's domain change, given the facts gathered before the transaction.
Apply = Callable[[Draft, datetime], StepChange]


class CheckoutService:
    """Checkout use cases over a store, the reseller directory, the catalog and Partner Center."""

    def __init__(
        self,
        store: DraftRepository,
        directory: ResellerDirectory,
        catalog: Catalog,
        partner_center: PartnerCenter,
        *,
        idle_timeout: timedelta,
        require_tenant_match: bool = True,
        redelivery: RedeliveryPolicy | None = None,
        on_redelivered: Callable[[], None] | None = None,
        sign_in: MicrosoftSignIn | None = None,
        max_open_drafts: int | None = None,
        lookups_per_minute: int | None = None,
        handoff: AdminHandoff | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._handoff = handoff
        self._max_open_drafts = max_open_drafts
        self._lookups_per_minute = lookups_per_minute
        self._directory = directory
        self._catalog = catalog
        self._partner_center = partner_center
        self._idle_timeout = idle_timeout
        self._require_tenant_match = require_tenant_match
        self._redelivery = redelivery or RedeliveryPolicy()
        self._on_redelivered = on_redelivered or (lambda: None)
        self._sign_in = sign_in
        self._clock = clock

    def reseller_of(self, customer: Customer) -> Reseller:
        """The reseller the customer's token names."""
        reseller = self._directory.get(customer.reseller_id)
        if reseller is None:
            raise UnknownReseller(customer.reseller_id)
        return reseller

    # --------------------------------------------------------------------------- drafts

    async def start_draft(self, customer: Customer, items: Sequence[CartItemInput] | None) -> Draft:
        """A new draft, with its cart when items are given (`OrderDrafted`, `StepCompleted`)."""
        reseller = self.reseller_of(customer)
        quotes = await self._catalog.quotes([item.plan_id for item in items]) if items else {}
        bound = await self._bound_tenant(customer, reseller)
        now = self._clock()
        draft = Draft.start(
            draft_id=str(uuid.uuid4()),
            account_id=customer.account_id,
            correlation_id=str(uuid.uuid4()),
            reseller=reseller.terms(),
            now=now,
            idle_timeout=self._idle_timeout,
            bound_tenant=bound,
        )
        events = [outbox_entry(order_drafted(draft), now)]
        if items:
            draft = draft.with_cart(items, quotes, now).draft
            events.append(outbox_entry(step_completed(draft, StepId.CART), now))
        await self._store.insert(draft, events, now, max_open=self._max_open_drafts)
        _log.info("draft started", **_ids(draft), reseller_id=reseller.id)
        return draft

    async def get_draft(self, customer: Customer, draft_id: str) -> Draft:
        """The customer's draft."""
        return _owned(await self._store.get(customer.account_id, draft_id), customer, draft_id)

    async def save_step(
        self,
        customer: Customer,
        draft_id: str,
        step: StepId,
        data: StepInput,
        *,
        if_match: int | None,
    ) -> SavedStep:
        """Save one step's data (`StepCompleted` when it changed anything)."""
        correlation_id = ""
        if step in _ASKS_OUTSIDE:
            # Refuse a stale or out-of-order step before asking the catalog or Partner Center.
            draft = await self.get_draft(customer, draft_id)
            _check_version(draft, if_match)
            draft.ensure_editable(step)
            correlation_id = draft.correlation_id
        apply = await self._prepare(customer, draft_id, correlation_id, data)
        warnings: tuple[FieldProblem, ...] = ()
        seen: Draft | None = None

        def change(current: Draft | None) -> Mutation:
            nonlocal warnings, seen
            current = seen = _owned(current, customer, draft_id)
            _check_version(current, if_match)
            outcome = apply(current, self._clock())
            warnings = outcome.warnings
            if not outcome.changed:
                return Mutation(None)
            event = outbox_entry(step_completed(outcome.draft, step), outcome.draft.updated_at)
            return Mutation(outcome.draft, [event])

        mutation = await self._store.update(customer.account_id, draft_id, change, self._clock())
        if mutation.draft is not None:
            _log.info("step saved", **_ids(mutation.draft), step=step.value)
        saved = mutation.draft if mutation.draft is not None else seen
        assert saved is not None
        return SavedStep(saved, warnings)

    async def _prepare(
        self, customer: Customer, draft_id: str, correlation_id: str, data: StepInput
    ) -> Apply:
        """Gather what `step` needs from outside, and return the domain change to apply."""
        reseller = self.reseller_of(customer)
        match data:
            case CartInput(items=items):
                quotes = await self._catalog.quotes([item.plan_id for item in items])
                return lambda d, now: d.with_cart(items, quotes, now)
            case AccountInput(kind=kind):
                record = (
                    await self._store.customer_record(customer.account_id, reseller.id)
                    if kind is AccountKind.EXISTING
                    else None
                )
                bound = await self._bound_tenant(customer, reseller)
                return lambda d, now: d.with_account(
                    data, record or CustomerRecord(), now, bound_tenant=bound
                )
            case CompanyProfileInput():
                domain = f"{data.domain_prefix}.onmicrosoft.com"
                await self._spend_lookup(customer, reseller)
                free = await self._partner_center.domain_available(reseller, domain, correlation_id)
                return lambda d, now: d.with_company_profile(data, domain_available=free, now=now)
            case PartnerRelationshipInput():
                return lambda d, now: d.with_partner_relationship(data, now)
            case PartnerOfRecordInput():
                return lambda d, now: d.with_partner_of_record(data, now)
            case TenantDomainInput(primary_domain=domain):
                await self._spend_lookup(customer, reseller)
                lookup = await self._partner_center.find_tenant(reseller, domain, correlation_id)
                ownership = await self._ownership(customer, reseller, lookup)
                if ownership is None:
                    # Another account's tenant (or not the one the platform's token names):
                    # refused as an unknown domain, in any check mode.
                    return lambda d, now: d.with_tenant_domain(
                        data, TenantLookup(None), require_match=True, now=now
                    )
                require = self._require_tenant_match
                return lambda d, now: d.with_tenant_domain(
                    data, lookup, require_match=require, now=now, ownership=ownership
                )
            case TenantSignInInput():
                user = await self._signed_in(customer, draft_id, data)
                return lambda d, now: d.with_tenant_sign_in(user, now)
            case McaInput():
                return lambda d, now: d.with_mca(data, now)
            case QualificationInput():
                return lambda d, now: d.with_qualification(data, now)
            case ReviewInput():
                return lambda d, now: d.with_review(data, now)
        raise TypeError(f"no step takes {type(data).__name__}")

    async def _spend_lookup(self, customer: Customer, reseller: Reseller) -> None:
        """Count a Partner Center lookup against the account's budget: asking about domain after
        domain would list the reseller's customers (and spend the partner's Partner Center quota,
        which fulfilment needs to place orders)."""
        if self._lookups_per_minute is None:
            return
        made, resets_in = await self._store.count_lookup(
            customer.account_id, reseller.id, timedelta(minutes=1)
        )
        if made > self._lookups_per_minute:
            raise TooManyLookups(self._lookups_per_minute, resets_in)

    async def _may_order_into(self, customer: Customer, reseller: Reseller, tenant_id: str) -> bool:
        """Whether the tenant is this account's or no account's yet (for this reseller); with
        the platform's `ms_tenant_id`, whether it is that one."""
        if customer.tenant_id is not None:
            return tenant_id.lower() == customer.tenant_id
        owner = await self._store.tenant_owner(reseller.id, tenant_id)
        return owner is None or owner == customer.account_id

    async def _ownership(
        self, customer: Customer, reseller: Reseller, lookup: TenantLookup
    ) -> TenantOwnership | None:
        """Why the account may order into the tenant Partner Center found (None: it may not)."""
        tenant = lookup.customer_tenant_id
        if customer.tenant_id is not None:
            # The platform binds its accounts itself: only that tenant, and no proof asked.
            return (
                TenantOwnership.CLAIMED if tenant and tenant.lower() == customer.tenant_id else None
            )
        if tenant is not None:
            owner = await self._store.tenant_owner(reseller.id, tenant)
            if owner == customer.account_id:
                return TenantOwnership.BOUND
            if owner is not None:
                return None
        if reseller.tenant_proof is TenantProof.DECLARED:
            return TenantOwnership.DECLARED
        return TenantOwnership.SIGN_IN

    async def _bound_tenant(self, customer: Customer, reseller: Reseller) -> TenantMatch | None:
        """The tenant this account owns for the reseller: the one Partner Center placed its
        first order in (and, with `ms_tenant_id`, only if it is the one the token names)."""
        record = await self._store.customer_record(customer.account_id, reseller.id)
        if record is None or record.customer_tenant_id is None or record.primary_domain is None:
            return None
        tenant = record.customer_tenant_id
        if customer.tenant_id is not None and tenant.lower() != customer.tenant_id:
            return None
        if await self._store.tenant_owner(reseller.id, tenant) != customer.account_id:
            return None
        return TenantMatch(
            primary_domain=record.primary_domain,
            customer_tenant_id=tenant,
            verified=True,
            ownership=TenantOwnership.BOUND,
        )

    def _microsoft(self) -> MicrosoftSignIn:
        if self._sign_in is None:
            raise DependencyUnavailable("microsoft_sign_in", "no Microsoft sign-in configured")
        return self._sign_in

    async def start_sign_in(
        self, customer: Customer, draft_id: str, redirect_uri: str
    ) -> SignInStarted:
        """Send the customer to Microsoft to sign in as a user of the draft's tenant; Microsoft
        sends it back to `redirect_uri` (registered with the marketplace's Entra app)."""
        draft = await self.get_draft(customer, draft_id)
        draft.ensure_editable(StepId.TENANT_SIGN_IN)
        tenant = draft.tenant_domain
        assert tenant is not None  # the step applies once Partner Center found the tenant
        assert tenant.customer_tenant_id is not None
        pending = PendingSignIn.start(
            draft_id=draft.id,
            account_id=customer.account_id,
            tenant_id=tenant.customer_tenant_id,
            primary_domain=tenant.primary_domain,
            redirect_uri=redirect_uri,
        )
        url = self._microsoft().authorize_url(pending)
        await self._store.put_sign_in(pending, SIGN_IN_LIFETIME)
        _log.info("microsoft sign-in started", **_ids(draft))
        return SignInStarted(url, pending.state, int(SIGN_IN_LIFETIME.total_seconds()))

    async def _signed_in(
        self, customer: Customer, draft_id: str, data: TenantSignInInput
    ) -> SignedInUser:
        """Who signed in: the code redeemed once, for the sign-in this draft started."""
        pending = await self._store.take_sign_in(customer.account_id, data.state)
        if pending is None or pending.draft_id != draft_id:
            raise InvalidStepData(
                "This Microsoft sign-in has expired or was not started for this order.",
                (FieldProblem("state", "sign in with Microsoft again", "sign_in_expired"),),
            )
        try:
            return await self._microsoft().redeem(pending, data.code)
        except SignInRefused as exc:
            _log.info("microsoft sign-in refused", order_id=draft_id, reason=str(exc))
            raise InvalidStepData(
                "Microsoft did not confirm the sign-in.",
                (FieldProblem("code", "sign in with Microsoft again", "sign_in_refused"),),
            ) from exc

    async def confirm(
        self, customer: Customer, draft_id: str, *, idempotency_key: str, terms_accepted: bool
    ) -> Confirmed:
        """Buy: re-price, confirm, create the order (`OrderConfirmed`); idempotent per key."""
        draft = await self.get_draft(customer, draft_id)
        if draft.replays_confirmation(idempotency_key):
            return Confirmed(draft.id, "confirmed", replayed=True)
        tenant = draft.tenant
        if (
            tenant is not None
            and tenant.customer_tenant_id is not None
            and not await self._may_order_into(
                customer, self.reseller_of(customer), tenant.customer_tenant_id
            )
        ):
            # Bound to another account since this draft's tenant step (its first order placed).
            raise draft.refuse_tenant(tenant.primary_domain)
        plan_ids = [line.plan_id for line in draft.cart.lines] if draft.cart else []
        quotes = await self._catalog.quotes(plan_ids)
        outcome: Confirmed | None = None
        repricing: tuple[FieldProblem, ...] | None = None

        def change(current: Draft | None) -> Mutation:
            nonlocal outcome, repricing
            current = _owned(current, customer, draft_id)
            now = self._clock()
            if current.replays_confirmation(idempotency_key):
                outcome = Confirmed(current.id, "confirmed", replayed=True)
                return Mutation(None)
            if current.cart is not None and current.status is DraftStatus.OPEN:
                priced = current.repriced(quotes, now)
                if priced.changed:
                    repricing = priced.warnings
                    return Mutation(priced.draft)
            confirmed = current.confirmed(
                idempotency_key=idempotency_key, terms_accepted=terms_accepted, now=now
            )
            data = order_confirmed(confirmed, customer.account_id)
            outcome = Confirmed(confirmed.id, "confirmed", replayed=False)
            order = OrderWrite(
                Order.from_confirmed(confirmed),
                news_due=now + self._redelivery.wait(0),
                confirmed_event=data.model_dump_json().encode(),
            )
            return Mutation(confirmed, [outbox_entry(data, now)], order)

        await self._store.update(customer.account_id, draft_id, change, self._clock())
        if repricing is not None:
            raise PricesChanged(
                "The prices or plans of the cart changed since the review; review the order again.",
                repricing,
            )
        assert outcome is not None
        _log.info(
            "order confirmed" if not outcome.replayed else "confirmation replayed",
            order_id=draft.id,
            correlation_id=draft.correlation_id,
        )
        return outcome

    async def cancel(self, customer: Customer, draft_id: str) -> None:
        """Cancel an open draft (`OrderAbandoned`); cancelling again changes nothing."""

        def change(current: Draft | None) -> Mutation:
            current = _owned(current, customer, draft_id)
            last_step = current.current_step
            cancelled = current.cancelled(self._clock())
            if cancelled is None:
                return Mutation(None)
            event = outbox_entry(order_abandoned(cancelled, last_step), cancelled.updated_at)
            return Mutation(cancelled, [event])

        mutation = await self._store.update(customer.account_id, draft_id, change, self._clock())
        if mutation.draft is not None:
            _log.info("draft cancelled", **_ids(mutation.draft))

    async def expire_due(self, *, limit: int = 100) -> int:
        """Abandon every draft idle past its expiry (`OrderAbandoned`); returns how many.

        Safe to run in every replica at once: each draft is closed in a guarded transaction.
        """
        now = self._clock()

        def close(current: Draft) -> Mutation:
            last_step = current.current_step
            gone = current.expired(self._clock())
            if gone is None:
                return Mutation(None)
            return Mutation(gone, [outbox_entry(order_abandoned(gone, last_step), now)])

        expired = await self._store.expire_due(now, limit, close)
        for draft in expired:
            _log.info("draft expired", **_ids(draft))
        return len(expired)

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

    # --------------------------------------------------------------------------- orders

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


def _ids(draft: Draft) -> dict[str, str]:
    """What every log line about a draft carries (never contact details)."""
    return {"order_id": draft.id, "correlation_id": draft.correlation_id}


MICROSOFT_CUSTOMER_AGREEMENT_URL = "https://www.microsoft.com/licensing/docs/customeragreement"
"""Microsoft's own page of the agreement: fulfilment's link when the order carried none."""


def _owned(current: Draft | None, customer: Customer, draft_id: str) -> Draft:
    """The draft if it is this account's with the reseller its token names, else 404: a draft
    started through one reseller is never worked on under another's terms and credentials."""
    if (
        current is None
        or current.account_id != customer.account_id
        or current.reseller.reseller_id != customer.reseller_id
    ):
        raise NotFound(draft_id)
    return current


def _check_version(draft: Draft, if_match: int | None) -> None:
    if if_match is not None and draft.version != if_match:
        raise PreconditionFailed(draft.version)
