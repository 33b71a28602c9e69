"""The saga's steps as Partner Center calls, and Microsoft's errors as saga signals.

Every step checks before it writes ("Rules that shape our design"): the relationship, the MCA and
the SOE qualification are facts about the customer tenant, so an existing fact is reported as
`already_done` instead of written twice. The calls that create something (customer, cart,
checkout) carry the `MS-RequestId` the saga stored before the call, so Partner Center answers a
repeat after a crash with the original result instead of creating a second one.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

import structlog
from redis.exceptions import RedisError
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from nceflow.fulfilment.domain import failures
from nceflow.fulfilment.domain.outcomes import (
    AvailabilityGone,
    CartExpired,
    CheckedOut,
    Followed,
    McaNotOnRecord,
    RelationshipNotVisible,
    StepFailed,
    StepRetryable,
)
from nceflow.fulfilment.domain.saga import Saga
from nceflow.fulfilment.settings import PartnerCredentials
from nceflow.partner_center import Address as PcAddress
from nceflow.partner_center import (
    Availability,
    BillingProfile,
    Cart,
    CartLineItem,
    CartLineItemParticipant,
    CheckoutOutcomeUnknownError,
    CompanyProfile,
    Contact,
    Customer,
    ErrorKind,
    Order,
    OrderError,
    ParticipantKey,
    PartnerCenterClient,
    PartnerCenterError,
    PartnerCenterNotFoundError,
    PartnerCenterSettings,
    PartnerCenterThrottledError,
    UserCredentials,
)
from nceflow.partner_center.shared_rate_limit import budget_for
from nceflow.runtime.handoff import AdminCredentials, CredentialsHandoff
from nceflow.schemas import (
    ExistingTenant,
    FulfilmentStep,
    NewTenant,
    OrderGroupError,
    OrderItem,
    SalesModel,
)

_log = structlog.get_logger(__name__)

STATE_OWNED_ENTITY = "StateOwnedEntity"
# Order groups Microsoft is still working on (800060 order in progress, 800064 cart busy).
_IN_PROGRESS_CODES = frozenset({"800060", "800064"})
# "A partner confirmed agreement already exists for the customer" (Confirm customer acceptance
# of the Microsoft Customer Agreement): an attestation with the same contact is on record.
AGREEMENT_EXISTS = "600061"
# 404s of a catalog item Microsoft no longer has: product (400013), SKU (400018), availability
# (400019) ("Partner Center REST error codes"). Any other 404 of a cart is the cart itself.
_CATALOG_GONE_CODES = frozenset({"400013", "400018", "400019"})
_UNSAFE_CODE = re.compile(r"[^A-Za-z0-9_.-]")

MarkAttempted = Callable[[], Awaitable[None]]
"""Persists that a creating call is about to be sent (see `Saga.mark_*_attempted`)."""


class PartnerClients:
    """One `PartnerCenterClient` per partner tenant that places orders (each has its own
    credentials and its own rate limit, as Microsoft throttles per partner tenant)."""

    def __init__(self, clients: dict[str, PartnerCenterClient]) -> None:
        self._clients = {partner_id.lower(): client for partner_id, client in clients.items()}

    @classmethod
    def from_settings(
        cls,
        base: PartnerCenterSettings,
        partners: Mapping[str, PartnerCredentials],
        *,
        budget_redis_url: str | None = None,
        budget_key_prefix: str = "nceflow:fulfilment:pc-budget",
    ) -> PartnerClients:
        """A client for `base`'s own tenant, plus one per entry of `partners`
        (tenant id → overrides such as `client_id`, `client_secret`, `refresh_token`).
        With `budget_redis_url` each partner's budget is shared by every fulfilment process."""
        settings = {base.tenant_id: base}
        for tenant_id, overrides in partners.items():
            settings[tenant_id] = PartnerCenterSettings.model_validate(
                {
                    **base.model_dump(),
                    **overrides.model_dump(exclude_none=True),
                    "tenant_id": tenant_id,
                }
            )
        return cls(
            {
                tenant: PartnerCenterClient(
                    s,
                    rate_limiter=budget_for(
                        s, redis_url=budget_redis_url, key_prefix=budget_key_prefix
                    ),
                )
                for tenant, s in settings.items()
            }
        )

    def for_partner(self, partner_id: str) -> PartnerCenterClient | None:
        """The client of the partner that transacts, if this deployment has its credentials."""
        return self._clients.get(partner_id.lower())

    async def aclose(self) -> None:
        """Close every client's connection pool."""
        for client in self._clients.values():
            await client.aclose()


def _retryable_or(error: PartnerCenterError) -> StepRetryable | None:
    if not error.retryable:
        return None
    retry_after = None
    if isinstance(error, PartnerCenterThrottledError) and error.retry_after is not None:
        retry_after = timedelta(seconds=error.retry_after)
    return StepRetryable(str(error), retry_after=retry_after)


def _generic(error: PartnerCenterError, step: FulfilmentStep) -> Exception:
    """Signals that mean the same whatever the step."""
    retry = _retryable_or(error)
    if retry is not None:
        return retry
    if error.kind is ErrorKind.LIMIT_EXCEEDED:
        return StepFailed(failures.limit_exceeded(error.code, error.description, step))
    if error.kind is ErrorKind.AVAILABILITY_GONE:
        return StepFailed(failures.plan_changed(error.code, error.description))
    return StepFailed(failures.order_rejected(error.code, error.description, step))


@retry(
    retry=retry_if_exception_type(RedisError),
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.2, max=2),
    reraise=True,
)
async def _give(handoff: CredentialsHandoff, order_id: str, admin: AdminCredentials) -> None:
    await handoff.give(order_id, admin)


class PartnerCenterSteps:
    """Runs one saga step against Partner Center for the order's transacting partner."""

    def __init__(self, clients: PartnerClients, handoff: CredentialsHandoff) -> None:
        self._clients = clients
        self._handoff = handoff
        self._mca_templates: dict[str, str] = {}

    def _client(self, saga: Saga) -> PartnerCenterClient:
        partner_id = saga.order.reseller.transacting_partner_id
        client = self._clients.for_partner(partner_id)
        if client is None:
            raise StepFailed(failures.partner_not_configured(partner_id))
        return client

    async def _relationship_link(self, client: PartnerCenterClient, saga: Saga) -> str | None:
        try:
            request = await client.relationship_request_link(
                correlation_id=saga.order.correlation_id
            )
        except PartnerCenterError as exc:
            _log.warning("fulfilment.relationship_link_unavailable", error=repr(exc))
            return None
        return request.url

    # ------------------------------------------------------------------ reseller

    async def validate_reseller(self, saga: Saga) -> None:
        """Indirect sales: ask Partner Center whether the reseller's partner (PLA) id may be
        the partner of record ("Validate reseller partner of record (POR)") before anything is
        created for the order; a refusal fails the order with Microsoft's reason."""
        reseller = saga.order.reseller
        client = self._client(saga)
        partner_id = reseller.mpn_id or reseller.partner_id
        try:
            results = await client.validate_resellers(
                [partner_id], correlation_id=saga.order.correlation_id
            )
        except PartnerCenterError as exc:
            raise _generic(exc, FulfilmentStep.CUSTOMER_RESOLVED) from exc
        mine = next((r for r in results if r.partner_id == partner_id), None)
        if mine is not None and mine.is_valid_partner_id_on_record:
            return
        code = mine.error_code if mine else None
        description = (mine.error_description if mine else None) or (
            f"Partner Center did not confirm partner id {partner_id}"
        )
        _log.error("fulfilment.reseller_not_valid", order_id=saga.order_id, code=code)
        raise StepFailed(failures.reseller_not_valid(code, description, reseller.name))

    # ------------------------------------------------------------------ tenant

    async def find_customer(self, saga: Saga) -> str:
        """The existing tenant's customer id, by its primary domain (exact match after
        Microsoft's prefix filter)."""
        tenant = saga.order.tenant
        if not isinstance(tenant, ExistingTenant):
            raise TypeError("find_customer needs an existing tenant")
        client = self._client(saga)
        try:
            found = await client.find_customers_by_domain(
                tenant.primary_domain, correlation_id=saga.order.correlation_id
            )
        except PartnerCenterError as exc:
            raise _generic(exc, FulfilmentStep.CUSTOMER_RESOLVED) from exc
        if len(found) == 1 and found[0].id:
            return found[0].id
        if found:
            raise StepFailed(
                failures.order_rejected(
                    None,
                    f"{len(found)} customers share the domain {tenant.primary_domain}",
                    FulfilmentStep.CUSTOMER_RESOLVED,
                )
            )
        # A tenant that has not accepted any relationship is not among our customers at all.
        link = await self._relationship_link(client, saga)
        failure = failures.customer_not_found(tenant.primary_domain, link)
        if tenant.relationship.status == "confirmed_by_customer":
            raise RelationshipNotVisible(failure)
        raise StepFailed(failure)

    async def verify_relationship(self, saga: Saga) -> None:
        """Raise `RelationshipNotVisible` unless the customer shows a reseller relationship."""
        client = self._client(saga)
        customer_id = _require(saga.customer_id)
        try:
            customer = await client.get_customer(
                customer_id, correlation_id=saga.order.correlation_id
            )
        except PartnerCenterError as exc:
            raise _generic(exc, FulfilmentStep.RELATIONSHIP_VERIFIED) from exc
        if customer.has_reseller_relationship:
            return
        link = await self._relationship_link(client, saga)
        raise RelationshipNotVisible(failures.relationship_not_accepted(link))

    async def create_customer(self, saga: Saga, mark_attempted: MarkAttempted) -> tuple[str, bool]:
        """Create the new tenant; returns `(customer_id, already_done)`.

        A customer with the domain among *our* customers after an attempt is ours (the domain
        was free when we checked, and a stranger's tenant is not in our list). A domain taken
        by anybody else fails the order: the customer must choose another."""
        tenant = saga.order.tenant
        if not isinstance(tenant, NewTenant):
            raise TypeError("create_customer needs a new tenant")
        client = self._client(saga)
        domain = tenant.company.domain
        correlation_id = saga.order.correlation_id
        try:
            if saga.customer_create_attempted:
                earlier = await self._mine(client, domain, correlation_id)
                if earlier is not None:
                    return earlier, True
            if await client.domain_exists(domain, correlation_id=correlation_id):
                raise StepFailed(failures.domain_taken(domain))
            await mark_attempted()
            created = await client.create_customer(
                _customer_body(saga),
                correlation_id=correlation_id,
                request_id=saga.customer_request_id,
            )
        except PartnerCenterError as exc:
            if exc.retryable:
                raise _generic(exc, FulfilmentStep.CUSTOMER_CREATED) from exc
            # A conflict after our own attempt: look for the customer before blaming the domain.
            mine = await self._mine(client, domain, correlation_id)
            if mine is not None:
                return mine, True
            if exc.status == 409:
                raise StepFailed(failures.domain_taken(domain)) from exc
            raise StepFailed(failures.customer_rejected(exc.code, exc.description)) from exc
        await self._hand_over_admin(saga, created.user_credentials, domain)
        return _require(created.id), False

    async def _hand_over_admin(
        self, saga: Saga, credentials: UserCredentials | None, domain: str
    ) -> None:
        """Keep the new tenant's admin password for the customer: Partner Center shows it in
        this answer only. Before the step is saved, so a crash right after keeps it too."""
        if credentials is None or credentials.password is None:
            _log.warning("fulfilment.no_admin_credentials", order_id=saga.order.order_id)
            return
        name = credentials.user_name
        sign_in_name = name if "@" in name else f"{name}@{domain}"
        admin = AdminCredentials(user_name=sign_in_name, password=credentials.password)
        try:
            await _give(self._handoff, saga.order.order_id, admin)
        except RedisError as exc:
            # The tenant exists: failing the order now would not bring the password back.
            # The reseller can reset it in Partner Center; the order goes on.
            _log.error(
                "fulfilment.admin_credentials_lost",
                order_id=saga.order.order_id,
                error=type(exc).__name__,
            )

    async def _mine(
        self, client: PartnerCenterClient, domain: str, correlation_id: str
    ) -> str | None:
        try:
            found = await client.find_customers_by_domain(domain, correlation_id=correlation_id)
        except PartnerCenterError as exc:
            raise _generic(exc, FulfilmentStep.CUSTOMER_CREATED) from exc
        return found[0].id if found and found[0].id else None

    # ------------------------------------------------------------------ agreements

    async def attest_mca(self, saga: Saga) -> bool:
        """Attest the MCA unless on record; returns `already_done`."""
        client = self._client(saga)
        customer_id = _require(saga.customer_id)
        correlation_id = saga.order.correlation_id
        try:
            if await client.list_customer_agreements(customer_id, correlation_id=correlation_id):
                return True
            template_id = await self._mca_template(client, saga)
            mca = saga.order.mca
            await client.attest_mca(
                customer_id,
                contact=Contact(
                    first_name=mca.accepted_by.first_name,
                    last_name=mca.accepted_by.last_name,
                    email=mca.accepted_by.email,
                    phone_number=mca.accepted_by.phone,
                ),
                template_id=template_id,
                date_agreed=datetime.combine(mca.date_agreed, time(), tzinfo=UTC),
                correlation_id=correlation_id,
            )
        except PartnerCenterError as exc:
            if str(exc.code) == AGREEMENT_EXISTS:
                # Microsoft already holds a confirmed agreement with these details (the listing
                # above can lag behind a previous attempt's write): the step is done.
                return True
            retry = _retryable_or(exc)
            if retry is not None:
                raise retry from exc
            link = saga.order.mca.agreement_link
            raise StepFailed(failures.mca_refused(exc.code, exc.description, link)) from exc
        return False

    async def _mca_template(self, client: PartnerCenterClient, saga: Saga) -> str:
        partner = saga.order.reseller.transacting_partner_id
        if partner not in self._mca_templates:
            self._mca_templates[partner] = await client.mca_template_id(
                correlation_id=saga.order.correlation_id
            )
        return self._mca_templates[partner]

    async def add_qualification(self, saga: Saga) -> bool:
        """Add the State Owned Entity qualification unless present; returns `already_done`."""
        client = self._client(saga)
        customer_id = _require(saga.customer_id)
        correlation_id = saga.order.correlation_id
        try:
            if await self._has_soe(client, customer_id, correlation_id):
                return True
            await client.add_qualification(
                customer_id, STATE_OWNED_ENTITY, correlation_id=correlation_id
            )
        except PartnerCenterError as exc:
            retry = _retryable_or(exc)
            if retry is not None:
                raise retry from exc
            # A lost answer to our own add comes back as "already has it" (409).
            if await self._has_soe(client, customer_id, correlation_id):
                return True
            raise StepFailed(failures.qualification_refused(exc.code, exc.description)) from exc
        return False

    async def _has_soe(
        self, client: PartnerCenterClient, customer_id: str, correlation_id: str
    ) -> bool:
        qualifications = await client.list_qualifications(
            customer_id, correlation_id=correlation_id
        )
        return any(q.qualification.lower() == STATE_OWNED_ENTITY.lower() for q in qualifications)

    # ------------------------------------------------------------------ cart and checkout

    async def refresh_availability(self, saga: Saga) -> list[str]:
        """Each line's current `catalogItemId`, read again after Partner Center said one is gone
        ("Get a list of availabilities for a SKU", in the customer's country): the SKU's
        purchasable availability with the line's term, billing cycle and currency. None left
        fails the order: the plan is no longer sold as the customer chose it."""
        client = self._client(saga)
        correlation_id = saga.order.correlation_id
        current: list[str] = []
        try:
            country = await self._country(client, saga)
            for item in saga.order.items:
                availabilities = await client.list_availabilities(
                    item.product_id, item.sku_id, correlation_id=correlation_id, country=country
                )
                found = _availability_for(item, availabilities)
                if found is None:
                    raise StepFailed(
                        failures.no_current_availability(
                            item.title, item.term.value, item.billing_cycle.value
                        )
                    )
                current.append(found)
        except PartnerCenterNotFoundError as exc:
            # The product or the SKU itself is gone (400013 / 400018).
            raise StepFailed(failures.plan_changed(exc.code, exc.description)) from exc
        except PartnerCenterError as exc:
            raise _generic(exc, FulfilmentStep.CART_CREATED) from exc
        _log.info("fulfilment.availability_refreshed", order_id=saga.order_id, items=current)
        return current

    async def _country(self, client: PartnerCenterClient, saga: Saga) -> str:
        """Where the customer buys: availabilities are per country."""
        tenant = saga.order.tenant
        if isinstance(tenant, NewTenant):
            return tenant.company.address.country
        customer = await client.get_customer(
            _require(saga.customer_id), correlation_id=saga.order.correlation_id
        )
        profile = customer.billing_profile
        address = profile.default_address if profile else None
        return address.country if address and address.country else "US"

    async def create_cart(self, saga: Saga) -> tuple[str, datetime | None]:
        """One cart with every item; returns `(cart_id, expires_at)`."""
        client = self._client(saga)
        try:
            cart = await client.create_cart(
                _require(saga.customer_id),
                _cart_body(saga),
                correlation_id=saga.order.correlation_id,
                request_id=saga.cart_request_id,
            )
        except PartnerCenterError as exc:
            raise await self._order_error(client, saga, exc, FulfilmentStep.CART_CREATED) from exc
        if cart.line_errors:
            # A 201 cart can still carry line errors ("Cart resources"); its checkout would be
            # refused (800009), so fail here with the line's own reason.
            line, error = cart.line_errors[0]
            items = saga.order.items
            title = items[line.id].title if 0 <= line.id < len(items) else None
            _log.warning(
                "fulfilment.cart_line_errors",
                order_id=saga.order_id,
                cart_id=cart.id,
                errors=[(ln.id, e.error_code) for ln, e in cart.line_errors],
            )
            raise StepFailed(
                failures.cart_line_refused(
                    error.error_code, error.error_description or "a line was refused", title
                )
            )
        expires = cart.expiration_timestamp
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        return _require(cart.id), expires

    async def check_out(
        self, saga: Saga, mark_attempted: MarkAttempted, now: datetime
    ) -> CheckedOut:
        """Check the stored cart out; returns the orders and what the answer says of them.

        After an earlier attempt (a crash or a lost answer; the cart's save already counts as
        one, unless this run made the cart) or once the cart may have expired, read the cart
        first: `Ordered` means the checkout went through, and the same checkout
        with the same `MS-RequestId` returns its orders. An expired cart that was never ordered
        raises `CartExpired` (the saga makes a new one)."""
        client = self._client(saga)
        cart = saga.cart
        if cart is None:
            raise ValueError("check_out before create_cart")
        customer_id = _require(saga.customer_id)
        correlation_id = saga.order.correlation_id
        already_done = False
        try:
            unsent = saga.take_unsent_checkout()
            if not unsent and (saga.checkout_attempted or saga.cart_expired(now)):
                try:
                    current = await client.get_cart(
                        customer_id, cart.cart_id, correlation_id=correlation_id
                    )
                except PartnerCenterNotFoundError:
                    # Microsoft drops an Active cart once it expires: no order came from it.
                    raise CartExpired(cart.cart_id, cart.expires_at) from None
                already_done = current.is_ordered
                if not already_done and saga.cart_expired(now):
                    raise CartExpired(cart.cart_id, cart.expires_at)
            if not saga.checkout_attempted:
                await mark_attempted()
            result = await client.checkout_cart_safely(
                customer_id,
                cart.cart_id,
                correlation_id=correlation_id,
                request_id=saga.checkout_request_id,
                poll_interval_seconds=0.5,
            )
        except CheckoutOutcomeUnknownError as exc:
            raise StepRetryable(
                f"checkout outcome unknown: {exc}", placed=exc.cart_ordered
            ) from exc
        except PartnerCenterNotFoundError as exc:
            if str(exc.code) in _CATALOG_GONE_CODES:
                raise _catalog_item_gone(exc) from exc
            # An Ordered cart is never dropped: a cart that is gone expired without an order.
            _log.warning("fulfilment.cart_gone", cart_id=cart.cart_id, code=exc.code)
            raise CartExpired(cart.cart_id, cart.expires_at) from exc
        except PartnerCenterError as exc:
            raise await self._order_error(client, saga, exc, FulfilmentStep.CHECKED_OUT) from exc
        order_ids = [order.id for order in result.orders]
        if not order_ids:
            first = result.order_errors[0] if result.order_errors else None
            code = first.code if first else None
            description = (first.description if first else None) or "no order was created"
            if str(code) in _IN_PROGRESS_CODES:
                # The cart stays Active: check the same cart out again later, never a new one.
                raise StepRetryable(f"checkout reported {code}: {description}", answered=True)
            raise StepFailed(failures.order_rejected(code, description, FulfilmentStep.CHECKED_OUT))
        if result.order_errors:
            # Partner Center placed part of the cart; the placed orders stand (never re-bought).
            _log.warning(
                "fulfilment.partial_checkout",
                order_id=saga.order_id,
                errors=[(e.order_group_id, e.code) for e in result.order_errors],
            )
        return CheckedOut(
            order_ids,
            already_done=already_done,
            subscription_ids=_subscription_ids(result.orders),
            completed=all(_finished(order) for order in result.orders),
            order_errors=group_errors(result.order_errors),
        )

    async def _order_error(
        self, client: PartnerCenterClient, saga: Saga, exc: PartnerCenterError, step: FulfilmentStep
    ) -> Exception:
        link = None
        if exc.kind is ErrorKind.NO_RELATIONSHIP:
            link = await self._relationship_link(client, saga)
        if exc.kind is ErrorKind.INDIRECT_PARTICIPANT_MISSING:
            _log.error("fulfilment.indirect_participant_missing", order_id=saga.order_id)
        return order_error(
            exc, step, relationship_link=link, agreement_link=saga.order.mca.agreement_link
        )

    # ------------------------------------------------------------------ after the order

    async def follow_order(self, saga: Saga) -> Followed:
        """Read the placed orders: their subscriptions, whether Partner Center is done with all
        of them, and those it ended without provisioning (every `OrderStatus` of "Order
        resources": `pending`, `pending review`, `suspended` and the PO states are waited for)."""
        client = self._client(saga)
        customer_id = _require(saga.customer_id)
        subscriptions: list[str] = []
        finished = True
        ended: list[OrderGroupError] = []
        try:
            for order_id in saga.order_ids:
                order = await client.get_order(
                    customer_id, order_id, correlation_id=saga.order.correlation_id
                )
                subscriptions += _subscription_ids([order])
                progress = order_progress(order.status)
                if progress is OrderProgress.OPEN:
                    finished = False
                elif progress is not OrderProgress.COMPLETED:
                    ended.append(_ended_order(order, progress))
        except PartnerCenterError as exc:
            retry = _retryable_or(exc)
            if retry is not None:
                raise retry from exc
            _log.warning("fulfilment.follow_order_failed", order_id=saga.order_id, error=repr(exc))
            return Followed(subscriptions, finished=False)
        if ended:
            _log.warning(
                "fulfilment.orders_ended_unprovisioned",
                order_id=saga.order_id,
                orders=[(e.order_group_id, e.code) for e in ended],
            )
        return Followed(subscriptions, finished=finished, order_errors=ended)


def group_errors(errors: Sequence[OrderError]) -> list[OrderGroupError]:
    """Partner Center's `orderErrors` in the event's terms (codes kept, texts bounded)."""
    return [
        OrderGroupError(
            order_group_id=str(error.order_group_id)[:64] if error.order_group_id else None,
            code=_UNSAFE_CODE.sub("_", str(error.code))[:64]
            if error.code is not None
            else "unknown",
            description=(error.description or "Partner Center did not order this group")[:1000],
        )
        for error in errors
    ]


def order_error(
    exc: PartnerCenterError,
    step: FulfilmentStep,
    *,
    relationship_link: str | None = None,
    agreement_link: str | None = None,
) -> Exception:
    """The saga signal for an error of a cart or checkout call."""
    if exc.kind is ErrorKind.NO_RELATIONSHIP:
        return StepFailed(failures.relationship_not_accepted(relationship_link, exc.code))
    if exc.kind is ErrorKind.MCA_NOT_ACCEPTED:
        return McaNotOnRecord(failures.mca_refused(exc.code, exc.description, agreement_link))
    if isinstance(exc, PartnerCenterNotFoundError) and str(exc.code) in _CATALOG_GONE_CODES:
        return _catalog_item_gone(exc)
    return _generic(exc, step)


def _catalog_item_gone(exc: PartnerCenterError) -> AvailabilityGone:
    return AvailabilityGone(failures.plan_changed(exc.code, exc.description))


def _availability_for(item: OrderItem, availabilities: Sequence[Availability]) -> str | None:
    """The `catalogItemId` to buy `item` with now: its own if still offered, else another
    purchasable availability of the SKU with the same term, billing cycle and currency."""
    offered = [
        a.catalog_item_id
        for a in availabilities
        if a.is_purchasable is not False
        and (a.default_currency is None or a.default_currency.code.upper() == item.currency)
        and any(
            term.duration.upper() == item.term.value
            and (term.billing_cycle or "").lower() == item.billing_cycle.value
            for term in a.terms
        )
    ]
    if item.catalog_item_id in offered:
        return item.catalog_item_id
    return offered[0] if offered else None


class OrderProgress(StrEnum):
    """Where a placed order stands, from its `status` ("Order resources", `OrderStatus`)."""

    OPEN = "open"
    """`pending`, `pending review`, `suspended`, the PO states, or a status not known yet:
    Partner Center is still working on it (or waits on the partner): follow it."""
    COMPLETED = "completed"
    ENDED = "ended"
    """`error` or `cancelled`: nothing was provisioned ("partners should repurchase")."""
    PARTIAL = "partial"
    """`partial success`: some lines were provisioned, the rest must be bought again."""


_PROGRESS = {
    "completed": OrderProgress.COMPLETED,
    "error": OrderProgress.ENDED,
    "cancelled": OrderProgress.ENDED,
    "canceled": OrderProgress.ENDED,
    "failed": OrderProgress.ENDED,
    "partialsuccess": OrderProgress.PARTIAL,
}


def order_progress(status: str | None) -> OrderProgress:
    """Microsoft writes statuses with spaces (`partial success`) or in one word; both count."""
    key = (status or "").lower().replace(" ", "").replace("_", "")
    return _PROGRESS.get(key, OrderProgress.OPEN)


def _ended_order(order: Order, progress: OrderProgress) -> OrderGroupError:
    status = order.status or "unknown"
    if progress is OrderProgress.PARTIAL:
        description = (
            f"Microsoft provisioned order {order.id} only in part ('{status}'): the plans "
            "without a subscription were not bought. Order them again."
        )
    else:
        description = (
            f"Microsoft ended order {order.id} as '{status}' without provisioning it: nothing "
            "of it was bought. Order it again."
        )
    return OrderGroupError(
        order_group_id=order.id[:64],
        code=_UNSAFE_CODE.sub("_", status)[:64] or "unknown",
        description=description,
    )


def _finished(order: Order) -> bool:
    """Partner Center completed the order (nothing more to follow)."""
    return order_progress(order.status) is OrderProgress.COMPLETED


def _subscription_ids(orders: Sequence[Order]) -> list[str]:
    return [line.subscription_id for o in orders for line in o.line_items if line.subscription_id]


def _require(value: str | None) -> str:
    if value is None:
        raise ValueError("Partner Center returned no id")
    return value


def _customer_body(saga: Saga) -> Customer:
    tenant = saga.order.tenant
    if not isinstance(tenant, NewTenant):
        raise TypeError("a new tenant is needed")
    company = tenant.company
    contact = company.primary_contact
    address = company.address
    reseller = saga.order.reseller
    return Customer(
        company_profile=CompanyProfile(
            domain=company.domain,
            company_name=company.company_name,
            # Partner Center requires it in some countries ("Create a customer").
            organization_registration_number=company.organization_registration_number,
        ),
        billing_profile=BillingProfile(
            culture="EN-US",
            language="En",
            email=contact.email,
            company_name=company.company_name,
            first_name=contact.first_name,
            last_name=contact.last_name,
            default_address=PcAddress(
                first_name=contact.first_name,
                last_name=contact.last_name,
                address_line1=address.address_line1,
                address_line2=address.address_line2,
                address_line3=address.address_line3,
                city=address.city,
                state=address.state,
                postal_code=address.postal_code,
                country=address.country,
                phone_number=contact.phone,
            ),
        ),
        associated_partner_id=(
            reseller.partner_id if reseller.sales_model is SalesModel.INDIRECT else None
        ),
    )


def _cart_body(saga: Saga) -> Cart:
    reseller = saga.order.reseller
    indirect = reseller.sales_model is SalesModel.INDIRECT
    participants = (
        [CartLineItemParticipant(key=ParticipantKey.TRANSACTION_RESELLER, value=reseller.mpn_id)]
        if indirect and reseller.mpn_id
        else None
    )
    return Cart(
        # Required on every cart ("Create a cart"): the transacting partner attests the
        # partner of record; for indirect sales the customer accepted it in the wizard.
        partner_on_record_attestation_accepted=True,
        line_items=[
            CartLineItem(
                id=index,
                catalog_item_id=saga.catalog_item_id(index),
                quantity=item.quantity,
                billing_cycle=item.billing_cycle.value,
                term_duration=item.term.value,
                friendly_name=item.title[:100],
                participants=participants,
            )
            for index, item in enumerate(saga.order.items)
        ],
    )
