"""Draft use cases: start a draft, save a step, sign in with Microsoft, Buy, cancel, expire.

Each use case gathers the outside facts a step needs (catalog prices, Partner Center answers),
then applies the domain change to a freshly read draft in one repository write that also
records the change's events (the outbox). Buy creates the order; `orders.py` follows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from nceflow.checkout.auth import Customer
from nceflow.checkout.domain.draft import (
    CustomerRecord,
    Draft,
    DraftStatus,
    SignedInUser,
    StepChange,
    TenantLookup,
    TenantMatch,
    TenantOwnership,
    TenantProof,
)
from nceflow.checkout.domain.errors import FieldProblem, InvalidStepData, PricesChanged
from nceflow.checkout.domain.order import (
    Order,
    RedeliveryPolicy,
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


class DraftService:
    """Draft use cases over the repository, the reseller directory, the catalog and Partner
    Center."""

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
        sign_in: MicrosoftSignIn | None = None,
        max_open_drafts: int | None = None,
        lookups_per_minute: int | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._max_open_drafts = max_open_drafts
        self._lookups_per_minute = lookups_per_minute
        self._directory = directory
        self._catalog = catalog
        self._partner_center = partner_center
        self._idle_timeout = idle_timeout
        self._require_tenant_match = require_tenant_match
        # Buy creates the order: fulfilment's first news is due after the policy's first wait.
        self._redelivery = redelivery or RedeliveryPolicy()
        self._sign_in = sign_in
        self._clock = clock

    def reseller_of(self, customer: Customer) -> Reseller:
        """The reseller the customer's token names."""
        reseller = self._directory.get(customer.reseller_id)
        if reseller is None:
            raise UnknownReseller(customer.reseller_id)
        return reseller

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


def _ids(draft: Draft) -> dict[str, str]:
    """What every log line about a draft carries (never contact details)."""
    return {"order_id": draft.id, "correlation_id": draft.correlation_id}


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
