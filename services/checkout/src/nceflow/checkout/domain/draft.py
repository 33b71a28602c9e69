"""The draft order: the wizard's state machine.

A draft walks the steps of `STEP_ORDER`. Which steps apply depends on what is known so far: the
reseller's sales model (from the start), the account choice, and what the marketplace has on record
about this customer. A step can be saved when it is the current one or was done before (editing
backwards); saving a change that alters the path drops the data of steps that no longer apply.

The draft is immutable: every change returns a new draft with a higher `version`, so a store can
retry a transaction by applying the same change to a freshly read draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from nceflow.checkout.domain.errors import (
    AlreadyConfirmed,
    DraftClosed,
    DraftIncomplete,
    FieldProblem,
    InvalidStepData,
    StepOutOfOrder,
)
from nceflow.checkout.domain.pricing import PlanQuote, PricedCart, price_cart
from nceflow.checkout.domain.steps import (
    STEP_ORDER,
    AccountInput,
    AccountKind,
    CartItemInput,
    CompanyProfileInput,
    McaInput,
    PartnerOfRecordInput,
    PartnerRelationshipInput,
    QualificationInput,
    ReviewInput,
    StepId,
    TenantDomainInput,
)
from nceflow.partner_center.customer_rules import needs_registration_number
from nceflow.schemas.values import SalesModel


class TenantProof(StrEnum):
    """How a reseller lets an account show that an existing tenant is its own (reseller setting)."""

    SIGN_IN = "sign_in"
    """The customer signs in with Microsoft as a user of the tenant (the default)."""
    DECLARED = "declared"
    """The customer's word is taken (for platforms that bind accounts to tenants themselves)."""


class TenantOwnership(StrEnum):
    """Why this account may order into the tenant its draft names."""

    BOUND = "bound"
    """The tenant is this account's: Partner Center placed an order for it there before."""
    CLAIMED = "claimed"
    """The platform's token names the tenant (`ms_tenant_id`)."""
    DECLARED = "declared"
    """The reseller takes the customer's word (`tenant_proof: declared`)."""
    SIGN_IN = "sign_in"
    """Not known yet: the customer must sign in with Microsoft as a user of the tenant."""


class DraftStatus(StrEnum):
    """Where the draft is in its life. Only `open` drafts change."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class StepStatus(StrEnum):
    """How a step shows in the wizard's progress."""

    DONE = "done"
    CURRENT = "current"
    AHEAD = "ahead"
    SKIPPED = "skipped"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResellerTerms(_Value):
    """What the draft needs to know about the reseller, copied when the draft starts."""

    reseller_id: str
    name: str
    sales_model: SalesModel
    partner_id: str
    """The reseller's own Partner Center partner id (named by the Partner of Record attestation)."""
    mpn_id: str | None = None
    """The reseller's MPN id: the cart's `transaction_reseller` in indirect sales."""
    indirect_provider_partner_id: str | None = None
    """Indirect sales: the provider whose Partner Center account places the order."""
    relationship_link: str
    mca_link: str
    terms_link: str
    tenant_proof: TenantProof = TenantProof.SIGN_IN


class McaAcceptance(McaInput):
    """The MCA acceptance, with the moment the customer stated it."""

    date_agreed: datetime


class CustomerRecord(_Value):
    """What the marketplace knows about this account's Microsoft tenant, for one reseller."""

    relationship_on_record: bool = False
    customer_tenant_id: str | None = None
    primary_domain: str | None = None
    mca: McaAcceptance | None = None
    """The MCA acceptance of an order Partner Center placed in the tenant: the agreement is on
    record there, so the account's later orders into its own tenant do not ask again."""


class CompanyProfile(CompanyProfileInput):
    """A new tenant's profile, with the domain it will get."""

    @property
    def domain(self) -> str:
        """The new tenant's initial domain."""
        return f"{self.domain_prefix}.onmicrosoft.com"


class TenantMatch(_Value):
    """The existing tenant the customer named, and whether Partner Center confirmed it."""

    primary_domain: str
    customer_tenant_id: str | None
    verified: bool
    ownership: TenantOwnership = TenantOwnership.SIGN_IN


class SignedInUser(_Value):
    """Who signed in with Microsoft, as the ID token that checkout verified says."""

    tenant_id: str
    """The user's tenant (`tid`)."""
    username: str
    """`preferred_username`, to show whom the customer signed in as."""


class TenantSignIn(SignedInUser):
    """The proof that the customer is a user of the draft's tenant."""

    signed_in_at: datetime


class Confirmation(_Value):
    """The Buy: which idempotency key made it and when."""

    idempotency_key: str
    confirmed_at: datetime


@dataclass(frozen=True)
class TenantLookup:
    """What Partner Center said about a primary domain among the partner's customers."""

    customer_tenant_id: str | None
    reseller_linked: bool = True
    """Indirect sales: the customer has a relationship with this indirect reseller ("Get
    indirect resellers of a customer"), not only with its provider."""

    @property
    def found(self) -> bool:
        """Whether the partner has a customer with exactly that domain."""
        return self.customer_tenant_id is not None


@dataclass(frozen=True)
class StepState:
    """One row of the wizard's progress."""

    step: StepId
    status: StepStatus


@dataclass(frozen=True)
class StepChange:
    """The result of saving one step."""

    draft: Draft
    step: StepId
    changed: bool
    dropped: tuple[StepId, ...] = ()
    warnings: tuple[FieldProblem, ...] = ()


class Draft(_Value):
    """A draft order: one purchase walking the wizard. Its id is also the order id."""

    id: str
    account_id: str
    correlation_id: str
    reseller: ResellerTerms
    status: DraftStatus = DraftStatus.OPEN
    version: int = 1
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    idle_timeout: timedelta
    customer_record: CustomerRecord | None = None
    bound_tenant: TenantMatch | None = None
    """The tenant this account owns for the reseller, when it has one: an existing-account
    draft orders into it without asking for the domain or a sign-in again."""

    cart: PricedCart | None = None
    account: AccountInput | None = None
    company_profile: CompanyProfile | None = None
    partner_relationship: PartnerRelationshipInput | None = None
    partner_of_record: PartnerOfRecordInput | None = None
    tenant_domain: TenantMatch | None = None
    tenant_sign_in: TenantSignIn | None = None
    mca: McaAcceptance | None = None
    qualification: QualificationInput | None = None
    review: ReviewInput | None = None
    completed_at: dict[StepId, datetime] = {}
    """When each step with data was last saved with a change (attestations need the moment)."""

    confirmation: Confirmation | None = None
    closed_at: datetime | None = None

    # ----------------------------------------------------------------------------- creation

    @classmethod
    def start(
        cls,
        *,
        draft_id: str,
        account_id: str,
        correlation_id: str,
        reseller: ResellerTerms,
        now: datetime,
        idle_timeout: timedelta,
        bound_tenant: TenantMatch | None = None,
    ) -> Self:
        """A new, empty draft; it expires after `idle_timeout` without a change."""
        return cls(
            id=draft_id,
            account_id=account_id,
            correlation_id=correlation_id,
            reseller=reseller,
            bound_tenant=bound_tenant,
            created_at=now,
            updated_at=now,
            expires_at=now + idle_timeout,
            idle_timeout=idle_timeout,
        )

    # ------------------------------------------------------------------------------ reading

    def applies(self, step: StepId) -> bool | None:
        """Whether `step` is part of this draft's path; None while it depends on an open choice."""
        kind = self.account.kind if self.account else None
        record = self.customer_record or CustomerRecord()
        match step:
            case StepId.COMPANY_PROFILE:
                return None if kind is None else kind is AccountKind.NEW
            case StepId.PARTNER_RELATIONSHIP:
                if kind is None:
                    return None
                return kind is AccountKind.EXISTING and not record.relationship_on_record
            case StepId.PARTNER_OF_RECORD:
                return self.reseller.sales_model is SalesModel.INDIRECT
            case StepId.TENANT_DOMAIN:
                if kind is None:
                    return None
                return kind is AccountKind.EXISTING and self.bound_tenant is None
            case StepId.MCA:
                if kind is None:
                    return None
                return not self._mca_on_record
            case StepId.TENANT_SIGN_IN:
                if kind is None:
                    return None
                if kind is AccountKind.NEW or self.bound_tenant is not None:
                    return False
                if self.tenant_domain is None:
                    return None
                return self.tenant_domain.ownership is TenantOwnership.SIGN_IN
            case _:
                return True

    @property
    def _mca_on_record(self) -> bool:
        """An existing account ordering into its own tenant, whose MCA is on record."""
        record = self.customer_record
        return (
            self.account is not None
            and self.account.kind is AccountKind.EXISTING
            and self.bound_tenant is not None
            and record is not None
            and record.mca is not None
        )

    @property
    def mca_acceptance(self) -> McaAcceptance | None:
        """The order's MCA acceptance: given at the step, or the one on record."""
        if self._mca_on_record:
            assert self.customer_record is not None
            return self.customer_record.mca
        return self.mca

    @property
    def tenant(self) -> TenantMatch | None:
        """The existing tenant the order goes to: the account's own, or the one it named."""
        if self.account is None or self.account.kind is not AccountKind.EXISTING:
            return None
        return self.bound_tenant or self.tenant_domain

    def data_of(self, step: StepId) -> BaseModel | None:
        """The data saved for `step`, if any."""
        value: BaseModel | None = getattr(self, step.value)
        return value

    def is_done(self, step: StepId) -> bool:
        """Whether `step` applies and has its data."""
        return self.applies(step) is True and self.data_of(step) is not None

    @property
    def current_step(self) -> StepId | None:
        """The first step of the path that is not done; None when the draft is ready to buy."""
        if self.status is not DraftStatus.OPEN:
            return None
        for step in STEP_ORDER:
            if self.applies(step) is not False and self.data_of(step) is None:
                return step
        return None

    def step_states(self) -> tuple[StepState, ...]:
        """Every step with its status, in wizard order."""
        current = self.current_step
        states = []
        for step in STEP_ORDER:
            applies = self.applies(step)
            if applies is False:
                status = StepStatus.SKIPPED
            elif step is current:
                status = StepStatus.CURRENT
            elif applies and self.data_of(step) is not None:
                status = StepStatus.DONE
            else:
                status = StepStatus.AHEAD
            states.append(StepState(step, status))
        return tuple(states)

    def is_expired(self, now: datetime) -> bool:
        """Whether an open draft has been idle past its expiry."""
        return self.status is DraftStatus.OPEN and now >= self.expires_at

    # ------------------------------------------------------------------------ saving steps

    def ensure_editable(self, step: StepId) -> None:
        """Refuse early when `step` cannot be saved now (closed draft, not on the path, ahead).

        The same holds for showing a step's form again: a UI may reopen exactly the steps it may
        save, the done ones (to edit them) and the current one.
        """
        if self.status is not DraftStatus.OPEN:
            raise DraftClosed(
                f"The draft is {self.status.value} and can no longer change.", self.status
            )
        current = self.current_step
        if self.applies(step) is False:
            raise StepOutOfOrder(
                f"Step {step.value} does not apply to this draft"
                + (f"; the current step is {current.value}." if current else "."),
                current.value if current else None,
            )
        # A step whose path is still open (None) waits for an earlier choice: it comes later.
        if self.applies(step) is None or (self.data_of(step) is None and step is not current):
            raise StepOutOfOrder(
                f"Step {step.value} comes later; the current step is "
                f"{current.value if current else 'none'}.",
                current.value if current else None,
            )

    def with_cart(
        self, items: Sequence[CartItemInput], quotes: Mapping[str, PlanQuote], now: datetime
    ) -> StepChange:
        """Save the cart, priced from `quotes`."""
        self.ensure_editable(StepId.CART)
        return self._save(StepId.CART, {"cart": price_cart(items, quotes)}, now)

    def with_account(
        self,
        data: AccountInput,
        record: CustomerRecord | None,
        now: datetime,
        bound_tenant: TenantMatch | None = None,
    ) -> StepChange:
        """Save the account choice; `record` is what is on record for an existing account and
        `bound_tenant` the tenant the account owns (looked up again: it may be new since)."""
        self.ensure_editable(StepId.ACCOUNT)
        record = record if data.kind is AccountKind.EXISTING else None
        update = {"account": data, "customer_record": record, "bound_tenant": bound_tenant}
        return self._save(StepId.ACCOUNT, update, now)

    def with_company_profile(
        self, data: CompanyProfileInput, *, domain_available: bool, now: datetime
    ) -> StepChange:
        """Save a new tenant's profile; its `<prefix>.onmicrosoft.com` domain must be free."""
        self.ensure_editable(StepId.COMPANY_PROFILE)
        profile = CompanyProfile(**data.model_dump())
        problems: list[FieldProblem] = []
        if needs_registration_number(profile.country) and not (
            profile.organization_registration_number
        ):
            # Partner Center refuses to create the customer without it ("Create a customer").
            problems.append(
                FieldProblem(
                    "organization_registration_number",
                    f"Microsoft requires it for companies in {profile.country}",
                    "required_for_country",
                )
            )
        if not domain_available:
            problems.append(
                FieldProblem(
                    "domain_prefix", f"{profile.domain} is taken; choose another prefix", "taken"
                )
            )
        if problems:
            message = (
                f"The domain {profile.domain} is already taken."
                if not domain_available
                else f"Microsoft requires the company's registration number in {profile.country}."
            )
            raise InvalidStepData(message, tuple(problems))
        return self._save(StepId.COMPANY_PROFILE, {"company_profile": profile}, now)

    def with_partner_relationship(
        self, data: PartnerRelationshipInput, now: datetime
    ) -> StepChange:
        """Save the customer's confirmation that it accepted the reseller relationship."""
        self.ensure_editable(StepId.PARTNER_RELATIONSHIP)
        if data.authorization_done != "yes":
            raise InvalidStepData(
                "Accept the partner relationship first, then confirm it here.",
                (
                    FieldProblem(
                        "authorization_done",
                        f"accept the relationship at {self.reseller.relationship_link}, "
                        "then answer yes",
                        "not_accepted",
                    ),
                ),
            )
        return self._save(StepId.PARTNER_RELATIONSHIP, {"partner_relationship": data}, now)

    def with_partner_of_record(self, data: PartnerOfRecordInput, now: datetime) -> StepChange:
        """Save the Partner of Record attestation (indirect sales)."""
        self.ensure_editable(StepId.PARTNER_OF_RECORD)
        if not data.attestation_accepted:
            raise InvalidStepData(
                "Microsoft requires the Partner of Record attestation for indirect sales.",
                (FieldProblem("attestation_accepted", "must be true", "not_accepted"),),
            )
        return self._save(StepId.PARTNER_OF_RECORD, {"partner_of_record": data}, now)

    def with_tenant_domain(
        self,
        data: TenantDomainInput,
        lookup: TenantLookup | None,
        *,
        require_match: bool,
        now: datetime,
        ownership: TenantOwnership = TenantOwnership.SIGN_IN,
    ) -> StepChange:
        """Save the existing tenant's domain.

        `lookup` is Partner Center's answer (None when it was not asked). Without a match the step
        fails when `require_match`, else it is saved unverified with a warning: a relationship
        accepted minutes ago may not show yet, and fulfilment checks again before ordering.
        `ownership` says why the account may order into the tenant (the service decides it);
        `sign_in` puts the Microsoft sign-in step next. A sign-in made for another tenant is
        dropped: it proves nothing about this one.
        """
        self.ensure_editable(StepId.TENANT_DOMAIN)
        if lookup is not None and lookup.found and not lookup.reseller_linked:
            # The provider has the customer, through another of its resellers: this reseller
            # cannot be its partner of record until the customer accepts this reseller's link.
            raise InvalidStepData(
                "The Microsoft customer with this domain has no relationship with the reseller.",
                (
                    FieldProblem(
                        "primary_domain",
                        f"{data.primary_domain} has not accepted {self.reseller.name} as its "
                        f"reseller; accept it at {self.reseller.relationship_link}",
                        "reseller_not_linked",
                    ),
                ),
            )
        if lookup is not None and lookup.found:
            match = TenantMatch(
                primary_domain=data.primary_domain,
                customer_tenant_id=lookup.customer_tenant_id,
                verified=True,
                ownership=ownership,
            )
            return self._save(StepId.TENANT_DOMAIN, self._with_tenant(match), now)
        problem = self._unknown_tenant(data.primary_domain)
        if require_match or ownership is not TenantOwnership.DECLARED:
            # Nothing can be proven about a tenant Partner Center does not show.
            raise self._unknown_tenant_error(data.primary_domain)
        match = TenantMatch(
            primary_domain=data.primary_domain,
            customer_tenant_id=None,
            verified=False,
            ownership=ownership,
        )
        change = self._save(StepId.TENANT_DOMAIN, self._with_tenant(match), now)
        return StepChange(change.draft, change.step, change.changed, change.dropped, (problem,))

    def _with_tenant(self, match: TenantMatch) -> dict[str, Any]:
        update: dict[str, Any] = {"tenant_domain": match}
        proof = self.tenant_sign_in
        if proof is not None and proof.tenant_id != match.customer_tenant_id:
            update["tenant_sign_in"] = None
        return update

    def with_tenant_sign_in(self, user: SignedInUser, now: datetime) -> StepChange:
        """Save the Microsoft sign-in: the user must belong to the tenant the draft names."""
        self.ensure_editable(StepId.TENANT_SIGN_IN)
        tenant = self.tenant_domain
        assert tenant is not None  # the step applies only once the tenant is known
        if user.tenant_id != tenant.customer_tenant_id:
            raise InvalidStepData(
                f"You signed in as {user.username}, who is not a user of {tenant.primary_domain}.",
                (
                    FieldProblem(
                        "code",
                        f"sign in with a work account of {tenant.primary_domain}; "
                        f"{user.username} belongs to another organisation",
                        "other_organisation",
                    ),
                ),
            )
        proof = TenantSignIn(**user.model_dump(), signed_in_at=now)
        previous = self.tenant_sign_in
        if (
            previous is not None
            and previous.model_dump(exclude={"signed_in_at"}) == user.model_dump()
        ):
            proof = previous  # signing in again as the same user is not a change
        return self._save(StepId.TENANT_SIGN_IN, {"tenant_sign_in": proof}, now)

    def refuse_tenant(self, domain: str) -> InvalidStepData:
        """The error for a tenant this account may not order into (bound to another account):
        word for word the unknown domain's, so the answer does not tell who the reseller's
        customers are."""
        return self._unknown_tenant_error(domain)

    def _unknown_tenant(self, domain: str) -> FieldProblem:
        return FieldProblem(
            "primary_domain",
            f"{self.reseller.name} has no customer with the domain {domain}; "
            f"accept the partner relationship at {self.reseller.relationship_link} "
            "and check the domain",
            "unknown_tenant",
        )

    def _unknown_tenant_error(self, domain: str) -> InvalidStepData:
        return InvalidStepData(
            "No Microsoft customer with this domain has a relationship with the reseller.",
            (self._unknown_tenant(domain),),
        )

    def with_mca(self, data: McaInput, now: datetime) -> StepChange:
        """Save the MCA acceptance; only "yes" moves on (seed step 10)."""
        self.ensure_editable(StepId.MCA)
        if data.accepted != "yes":
            raise InvalidStepData(
                "The Microsoft Customer Agreement must be accepted before ordering.",
                (
                    FieldProblem(
                        "accepted",
                        f"accept the agreement at {self.reseller.mca_link}, then answer yes",
                        "not_accepted",
                    ),
                ),
            )
        previous = self.mca
        # Re-saving the same answer keeps the original acceptance date.
        same = (
            previous is not None
            and previous.model_dump(exclude={"date_agreed"}) == data.model_dump()
        )
        agreed = previous.date_agreed if previous is not None and same else now
        return self._save(
            StepId.MCA, {"mca": McaAcceptance(**data.model_dump(), date_agreed=agreed)}, now
        )

    def with_qualification(self, data: QualificationInput, now: datetime) -> StepChange:
        """Save State Owned Entity or None (seed step 11)."""
        self.ensure_editable(StepId.QUALIFICATION)
        return self._save(StepId.QUALIFICATION, {"qualification": data}, now)

    def with_review(self, data: ReviewInput, now: datetime) -> StepChange:
        """Save the review: the terms of service must be accepted (seed step 12)."""
        self.ensure_editable(StepId.REVIEW)
        if not data.terms_accepted:
            raise InvalidStepData(
                "Accept the terms of service to continue.",
                (FieldProblem("terms_accepted", "must be true", "not_accepted"),),
            )
        return self._save(StepId.REVIEW, {"review": data}, now)

    def _save(self, step: StepId, update: dict[str, Any], now: datetime) -> StepChange:
        if all(getattr(self, name) == value for name, value in update.items()):
            # Saving what is already there is not a change: no new version, no event.
            return StepChange(self, step, changed=False)
        changed = self.model_copy(update=update)
        dropped = tuple(
            other
            for other in STEP_ORDER
            if changed.applies(other) is False and changed.data_of(other) is not None
        )
        clear: dict[str, Any] = {other.value: None for other in dropped}
        if step is not StepId.REVIEW and self.review is not None:
            # The review agreed to a summary that just changed: it must be read again.
            clear[StepId.REVIEW.value] = None
            dropped = (*dropped, StepId.REVIEW)
        times = {k: v for k, v in self.completed_at.items() if k not in dropped}
        clear["completed_at"] = {**times, step: now}
        draft = changed.model_copy(update=clear)._touched(now)
        return StepChange(draft, step, changed=True, dropped=dropped)

    def _touched(self, now: datetime) -> Draft:
        return self.model_copy(
            update={
                "version": self.version + 1,
                "updated_at": now,
                "expires_at": now + self.idle_timeout,
            }
        )

    # --------------------------------------------------------------------- buying and ending

    def repriced(self, quotes: Mapping[str, PlanQuote], now: datetime) -> StepChange:
        """The draft priced from fresh `quotes`; a price change resets the review."""
        if self.cart is None:
            raise DraftIncomplete("The cart is empty.", StepId.CART.value)
        items = [
            CartItemInput(plan_id=line.plan_id, quantity=line.quantity) for line in self.cart.lines
        ]
        try:
            cart = price_cart(items, quotes)
        except InvalidStepData as exc:
            # A plan left the catalog or changed its limits: the cart must be edited.
            cleared = self._without_review()._touched(now)
            return StepChange(cleared, StepId.CART, changed=True, warnings=exc.errors)
        if cart.same_prices(self.cart):
            return StepChange(self, StepId.CART, changed=False)
        repriced = self._without_review().model_copy(update={"cart": cart})._touched(now)
        return StepChange(repriced, StepId.CART, changed=True, dropped=(StepId.REVIEW,))

    def _without_review(self) -> Draft:
        times = {k: v for k, v in self.completed_at.items() if k is not StepId.REVIEW}
        return self.model_copy(update={"review": None, "completed_at": times})

    def replays_confirmation(self, idempotency_key: str) -> bool:
        """Whether this Buy was already made with `idempotency_key` (answer again, emit nothing)."""
        if self.confirmation is None:
            return False
        if self.confirmation.idempotency_key != idempotency_key:
            raise AlreadyConfirmed(
                "This draft was already bought with another Idempotency-Key.", self.id
            )
        return True

    def confirmed(self, *, idempotency_key: str, terms_accepted: bool, now: datetime) -> Draft:
        """Buy: every step of the path must be done and the terms accepted."""
        if self.status is not DraftStatus.OPEN:
            raise DraftClosed(
                f"The draft is {self.status.value} and cannot be bought.", self.status
            )
        if not terms_accepted:
            raise InvalidStepData(
                "Accept the terms of service to buy.",
                (FieldProblem("terms_accepted", "must be true", "not_accepted"),),
            )
        current = self.current_step
        # Buy on the Review Order screen accepts the terms there and then (seed step 12).
        if current is not None and current is not StepId.REVIEW:
            raise DraftIncomplete(
                f"The draft is not complete; the current step is {current.value}.", current.value
            )
        return self.model_copy(
            update={
                "review": ReviewInput(terms_accepted=True),
                "completed_at": {StepId.REVIEW: now, **self.completed_at},
                "status": DraftStatus.CONFIRMED,
                "confirmation": Confirmation(idempotency_key=idempotency_key, confirmed_at=now),
                "closed_at": now,
                "version": self.version + 1,
                "updated_at": now,
            }
        )

    def cancelled(self, now: datetime) -> Draft | None:
        """The draft cancelled by the customer; None if it already was (nothing to do)."""
        if self.status is DraftStatus.CANCELLED:
            return None
        if self.status is not DraftStatus.OPEN:
            raise DraftClosed(
                f"The draft is {self.status.value} and cannot be cancelled.", self.status
            )
        return self._closed(DraftStatus.CANCELLED, now)

    def expired(self, now: datetime) -> Draft | None:
        """The draft ended for idleness; None if it is not due (or not open)."""
        if not self.is_expired(now):
            return None
        return self._closed(DraftStatus.EXPIRED, now)

    def _closed(self, status: DraftStatus, now: datetime) -> Draft:
        return self.model_copy(
            update={
                "status": status,
                "closed_at": now,
                "version": self.version + 1,
                "updated_at": now,
            }
        )
