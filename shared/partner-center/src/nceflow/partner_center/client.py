"""`PartnerCenterClient`: one async method per Partner Center call nceflow makes.

Every method takes the caller's `correlation_id` (ours, one per order), logged with every call.
Microsoft's `MS-CorrelationId` is not that id: "a unique identifier for the call ... The value
should be reset for every call" ("Partner Center REST headers"), so each request sent gets a new
one, logged beside ours (`partner_center.call`, with the order id the caller binds) and kept on
the error. Each logical call gets one `MS-RequestId`, reused on every retry; the calls that must
stay idempotent across a process restart (create customer, create cart, checkout) also accept a
caller-supplied `request_id`, so the fulfilment saga can persist it before calling and send the
same one after a crash.

Checkout is the call that costs money. `checkout_cart` retries only what provably did not reach
Microsoft (429, failed connect). After a timeout or a lost response use `checkout_cart_safely`,
which applies the documented rule in one place: read the cart; `Ordered` means the checkout went
through (re-posting the same checkout returns the original result, Microsoft's checkout is
idempotent per cart); otherwise post the checkout again with the same `MS-RequestId`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel, SecretStr, TypeAdapter

from nceflow.partner_center.auth import EntraIdTokenProvider, TokenKind, TokenProvider
from nceflow.partner_center.cart_orders import orders_of_cart
from nceflow.partner_center.errors import (
    CheckoutOutcomeUnknownError,
    PartnerCenterConnectionError,
    PartnerCenterError,
    PartnerCenterServerError,
    PartnerCenterThrottledError,
    PartnerCenterTimeoutError,
    error_from_response,
    is_already_submitted,
    is_cart_in_flight,
    is_order_in_progress,
    is_retryable,
)
from nceflow.partner_center.models import (
    Address,
    AddressValidationResult,
    Agreement,
    AgreementMetadata,
    AgreementType,
    Availability,
    Cart,
    CartCheckoutResult,
    Contact,
    Customer,
    Order,
    PartnerRelationship,
    Product,
    ProvisioningStatus,
    Qualification,
    RelationshipRequest,
    ResellerValidation,
    ResellerValidations,
    ResourceCollection,
    Sku,
)
from nceflow.partner_center.rate_limit import RateLimiter, local_bucket
from nceflow.partner_center.retry import RetryPolicy, retrying
from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.timing import Clock, Sleep, asleep, monotonic
from nceflow.partner_center.wire import (
    JSON_CONTENT_TYPE,
    AiohttpWire,
    HttpxWire,
    Wire,
    WireResponse,
    encode_json,
)

_log = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)

MCA_LINK = "https://aka.ms/customeragreement"
_CONTRACT_VERSION = "v1"
# A page model per item model, parametrised once and kept: pydantic caches parametrised
# generics only weakly, and rebuilding one re-creates its schema (about 2 ms of CPU). A typed
# page is validated straight from the JSON bytes in one pass.
_PAGE_MODELS: dict[type[BaseModel], type[ResourceCollection[Any]]] = {}
_LIST_ADAPTERS: dict[type[BaseModel], TypeAdapter[list[Any]]] = {}


def _page_model(model: type[ModelT]) -> type[ResourceCollection[ModelT]]:
    page = _PAGE_MODELS.get(model)
    if page is None:
        page = _PAGE_MODELS[model] = ResourceCollection[model]  # type: ignore[valid-type]
    return page


def _list_adapter(model: type[ModelT]) -> TypeAdapter[list[ModelT]]:
    adapter = _LIST_ADAPTERS.get(model)
    if adapter is None:
        adapter = _LIST_ADAPTERS[model] = TypeAdapter(list[model])  # type: ignore[valid-type]
    return adapter


def new_request_id() -> str:
    """A fresh `MS-RequestId` (persist it before a call that must survive a restart)."""
    return str(uuid.uuid4())


def _retry_checkout(error: BaseException) -> bool:
    # Only what certainly did not reach Microsoft: a 429 or a connection that never opened.
    if isinstance(error, PartnerCenterThrottledError):
        return True
    return isinstance(error, PartnerCenterConnectionError) and not error.request_sent


def _outcome_unknown(error: PartnerCenterError) -> bool:
    """The checkout may have gone through: read the cart before trying again."""
    if isinstance(error, PartnerCenterTimeoutError | PartnerCenterServerError):
        return True
    if isinstance(error, PartnerCenterConnectionError):
        return error.request_sent
    return is_order_in_progress(error) or is_cart_in_flight(error)


class PartnerCenterClient:
    """Typed async client of the Partner Center REST API subset nceflow uses.

    Build one per process and partner tenant (its rate limiter is per tenant), use it as an
    async context manager or call `aclose()`. Calls go over aiohttp (`wire.AiohttpWire`) and
    tokens over an httpx client of its own; pass `http=` to send both through that
    `httpx.AsyncClient` instead (e.g. one with a `MockTransport` in tests).
    """

    def __init__(
        self,
        settings: PartnerCenterSettings,
        *,
        http: httpx.AsyncClient | None = None,
        token_provider: TokenProvider | None = None,
        rate_limiter: RateLimiter | None = None,
        clock: Clock = monotonic,
        sleep: Sleep = asleep,
    ) -> None:
        self._settings = settings
        # What this client creates it closes; an injected `http` stays the caller's.
        self._owned: list[Wire | httpx.AsyncClient] = []
        self._wire: Wire
        if http is None:
            self._wire = AiohttpWire(settings)
            self._owned.append(self._wire)
        else:
            self._wire = HttpxWire(http)
        self._base = settings.base_url.rstrip("/")
        if token_provider is None:
            # Tokens are fetched about once an hour: httpx's per-call cost does not matter.
            token_http = http
            if token_http is None:
                token_http = httpx.AsyncClient(
                    timeout=httpx.Timeout(
                        settings.read_timeout_seconds, connect=settings.connect_timeout_seconds
                    )
                )
                self._owned.append(token_http)
            token_provider = EntraIdTokenProvider.from_settings(settings, token_http, clock=clock)
        self._tokens: TokenProvider = token_provider
        if rate_limiter is None and settings.rate_limit_per_minute > 0:
            rate_limiter = local_bucket(settings, clock=clock, sleep=sleep)
        self._limiter = rate_limiter
        self._policy = RetryPolicy.from_settings(settings)
        self._clock = clock
        self._sleep = sleep

    def __repr__(self) -> str:
        return (
            f"PartnerCenterClient(base_url={self._base!r}, tenant_id={self._settings.tenant_id!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools this client created (not an injected `http`) and its
        rate limiter (one per client: a shared budget's Redis connections)."""
        owned, self._owned = self._owned, []
        for resource in owned:
            await resource.aclose()
        limiter, self._limiter = self._limiter, None
        if limiter is not None:
            await limiter.aclose()

    # ------------------------------------------------------------------ transport

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/v1/"):
            path = "/v1" + path  # Microsoft's links are relative to /v1
        return self._base + path

    async def _send_once(
        self,
        method: str,
        url: str,
        *,
        kind: TokenKind,
        correlation_id: str,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        content: bytes | None,
        ok_statuses: frozenset[int],
    ) -> WireResponse:
        if self._limiter is not None:
            await self._limiter.acquire()  # waits outside any lock, before the network call
        request_id = headers["MS-RequestId"]
        call_correlation_id = new_request_id()
        for attempt_auth in range(2):
            token = await self._tokens.get_token(kind)
            # The wire raises PartnerCenterConnectionError (request_sent says whether it may
            # have left) or PartnerCenterTimeoutError when no answer came.
            response = await self._wire.send(
                method,
                url,
                params=params,
                content=content,
                headers={
                    **headers,
                    "MS-CorrelationId": call_correlation_id,
                    "Authorization": _bearer(token),
                },
            )
            if response.status == 401 and attempt_auth == 0:
                # The token may have been revoked or rotated early: fetch a new one once.
                self._tokens.invalidate(kind, token)
                continue
            break
        status = response.status
        _log.debug(
            "partner_center.call",
            method=method,
            path=url.removeprefix(self._base),
            status=status,
            ms_request_id=request_id,
            ms_correlation_id=call_correlation_id,
            correlation_id=correlation_id,
        )
        if 200 <= status < 300 or status in ok_statuses:
            return response
        raise error_from_response(
            response, request_id=request_id, call_correlation_id=call_correlation_id
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        kind: TokenKind,
        correlation_id: str,
        request_id: str | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        extra_headers: Mapping[str, str] | None = None,
        ok_statuses: frozenset[int] = frozenset(),
        retry_on: Callable[[BaseException], bool] = is_retryable,
    ) -> WireResponse:
        # Built once per logical call so that every retry repeats the same MS-RequestId (and
        # the body is encoded once).
        headers = {
            "Accept": JSON_CONTENT_TYPE,
            "MS-RequestId": request_id or new_request_id(),
            "MS-Contract-Version": _CONTRACT_VERSION,
        }
        content: bytes | None = None
        if body is not None:
            content = encode_json(body)
            headers["Content-Type"] = JSON_CONTENT_TYPE
        if extra_headers:
            headers.update(extra_headers)
        url = self._url(path)
        send = partial(
            self._send_once,
            method,
            url,
            kind=kind,
            correlation_id=correlation_id,
            headers=headers,
            params=params,
            content=content,
            ok_statuses=ok_statuses,
        )
        # The first attempt runs outside tenacity: a controller costs more CPU per call than
        # the rest of the client, and almost every call succeeds at once. A failure is handed
        # to the controller as its first attempt, with the budget counted from the start.
        started = self._clock()
        try:
            return await send()
        except Exception as exc:
            if not retry_on(exc):
                raise
            first_failure: Exception | None = exc
        async for attempt in retrying(
            self._policy, clock=self._clock, sleep=self._sleep, retry_on=retry_on, started=started
        ):
            with attempt:
                if first_failure is not None:
                    failure, first_failure = first_failure, None
                    raise failure
                return await send()
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _get(
        self, model: type[ModelT], path: str, *, kind: TokenKind, correlation_id: str, **kw: Any
    ) -> ModelT:
        response = await self._call("GET", path, kind=kind, correlation_id=correlation_id, **kw)
        return model.model_validate_json(response.content)

    async def _paginate(
        self,
        model: type[ModelT],
        path: str,
        *,
        kind: TokenKind,
        correlation_id: str,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[ModelT]:
        """Items of every page, following `links.next` (with its `MS-ContinuationToken`
        header) or a `continuationToken` in the body."""
        page_params: Mapping[str, str] | None = params
        extra: dict[str, str] = {}
        seen_tokens: set[str] = set()
        while True:
            response = await self._call(
                "GET",
                path,
                kind=kind,
                correlation_id=correlation_id,
                params=page_params,
                extra_headers=extra,
            )
            content = response.content
            if content.lstrip()[:1] == b"[":  # a few calls answer a bare JSON array
                for item in _list_adapter(model).validate_json(content):
                    yield item
                return
            page = _page_model(model).model_validate_json(content)
            for item in page.items:
                yield item
            next_link = page.links.next if page.links else None
            if next_link is not None:
                path, page_params = next_link.uri, None
                extra = {h.key: h.value for h in next_link.headers}
                token = extra.get("MS-ContinuationToken", next_link.uri)
            elif page.continuation_token:
                token = page.continuation_token
                page_params = {**(params or {}), "seekOperation": "Next"}
                extra = {"MS-ContinuationToken": token}
            else:
                return
            if token in seen_tokens:  # a server repeating itself must not loop us forever
                return
            seen_tokens.add(token)

    async def _collect(self, items: AsyncIterator[ModelT]) -> list[ModelT]:
        return [item async for item in items]

    # ------------------------------------------------------------------ customers

    async def domain_exists(self, domain: str, *, correlation_id: str) -> bool:
        """Whether a tenant already uses `domain` (`HEAD /v1/domains/{domain}`: 200 taken,
        404 available)."""
        response = await self._call(
            "HEAD",
            f"/domains/{quote(domain, safe='')}",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            ok_statuses=frozenset({404}),
        )
        return response.status == 200

    def iter_customers(
        self, domain_prefix: str, *, correlation_id: str, page_size: int = 100
    ) -> AsyncIterator[Customer]:
        """Customers whose domain starts with `domain_prefix` (Microsoft's prefix filter)."""
        search = {"Field": "Domain", "Value": domain_prefix, "Operator": "starts_with"}
        return self._paginate(
            Customer,
            "/customers",
            kind=TokenKind.APP_USER,
            correlation_id=correlation_id,
            params={"size": str(page_size), "filter": json.dumps(search, separators=(",", ":"))},
        )

    async def find_customers_by_domain(self, domain: str, *, correlation_id: str) -> list[Customer]:
        """Customers whose domain is exactly `domain` (case-insensitive).

        Microsoft's filter matches prefixes (`contoso` finds `contosobikes.onmicrosoft.com`),
        so the exact comparison is ours.
        """
        wanted = domain.strip().lower()
        return [
            customer
            async for customer in self.iter_customers(wanted, correlation_id=correlation_id)
            if customer.company_profile is not None
            and (customer.company_profile.domain or "").lower() == wanted
        ]

    async def get_customer(self, customer_id: str, *, correlation_id: str) -> Customer:
        """One customer; `relationship_to_partner` tells whether a reseller relationship exists."""
        return await self._get(
            Customer,
            f"/customers/{quote(customer_id, safe='')}",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
        )

    async def create_customer(
        self, customer: Customer, *, correlation_id: str, request_id: str | None = None
    ) -> Customer:
        """Create a customer tenant (201). The answer holds the tenant id and one-time admin
        credentials (`user_credentials.password` is a `SecretStr`). Indirect providers set
        `associated_partner_id` to the reseller's partner id: "Create a customer for an indirect
        reseller" takes App+User credentials only (a direct partner's creation takes either)."""
        indirect = customer.associated_partner_id is not None
        response = await self._call(
            "POST",
            "/customers",
            kind=TokenKind.APP_USER if indirect else TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            request_id=request_id,
            body=customer.to_wire(),
        )
        return Customer.model_validate_json(response.content)

    async def relationship_request_link(self, *, correlation_id: str) -> RelationshipRequest:
        """The reseller-relationship invitation link a customer's global admin accepts."""
        return await self._get(
            RelationshipRequest,
            "/customers/relationshiprequests",
            kind=TokenKind.APP_USER,
            correlation_id=correlation_id,
        )

    async def validate_address(
        self, address: Address, *, correlation_id: str
    ) -> AddressValidationResult:
        """Validate an address (ISO alpha-2 country) before creating a tenant with it."""
        body = address.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            include={
                "address_line1",
                "address_line2",
                "address_line3",
                "city",
                "state",
                "postal_code",
                "country",
            },
        )
        response = await self._call(
            "POST",
            "/validations/address",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            body=body,
        )
        return AddressValidationResult.model_validate_json(response.content)

    # ------------------------------------------------------------------ agreements, qualifications

    async def list_agreement_metadata(
        self,
        *,
        correlation_id: str,
        agreement_type: str = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT,
    ) -> list[AgreementMetadata]:
        """Agreement templates of one type."""
        return await self._collect(
            self._paginate(
                AgreementMetadata,
                "/agreements",
                kind=TokenKind.APP_USER,
                correlation_id=correlation_id,
                params={"agreementType": agreement_type},
            )
        )

    async def mca_template_id(self, *, correlation_id: str) -> str:
        """The `templateId` of the Microsoft Customer Agreement (for `attest_mca`)."""
        templates = await self.list_agreement_metadata(correlation_id=correlation_id)
        if not templates:
            raise PartnerCenterError("no Microsoft Customer Agreement template published")
        # The newest version has the lowest versionRank (0 = current).
        return min(templates, key=lambda t: t.version_rank or 0).template_id

    async def list_customer_agreements(
        self,
        customer_id: str,
        *,
        correlation_id: str,
        agreement_type: str = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT,
    ) -> list[Agreement]:
        """The customer's acceptances of `agreement_type` (empty: never attested)."""
        return await self._collect(
            self._paginate(
                Agreement,
                f"/customers/{quote(customer_id, safe='')}/agreements",
                kind=TokenKind.APP_USER,
                correlation_id=correlation_id,
                params={"agreementType": agreement_type},
            )
        )

    async def attest_mca(
        self,
        customer_id: str,
        *,
        contact: Contact,
        template_id: str,
        correlation_id: str,
        date_agreed: datetime | None = None,
    ) -> Agreement:
        """Record that the customer accepted the Microsoft Customer Agreement."""
        agreed = (date_agreed or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        agreement = Agreement(
            primary_contact=contact,
            template_id=template_id,
            date_agreed=agreed,
            type=AgreementType.MICROSOFT_CUSTOMER_AGREEMENT,
            agreement_link=MCA_LINK,
        )
        body = agreement.to_wire()
        body["dateAgreed"] = agreed.strftime("%Y-%m-%dT%H:%M:%SZ")
        response = await self._call(
            "POST",
            f"/customers/{quote(customer_id, safe='')}/agreements",
            kind=TokenKind.APP_USER,
            correlation_id=correlation_id,
            body=body,
        )
        return Agreement.model_validate_json(response.content)

    async def list_qualifications(
        self, customer_id: str, *, correlation_id: str
    ) -> list[Qualification]:
        """The customer's qualifications (e.g. `StateOwnedEntity`)."""
        return await self._collect(
            self._paginate(
                Qualification,
                f"/customers/{quote(customer_id, safe='')}/qualifications",
                kind=TokenKind.APP_USER,
                correlation_id=correlation_id,
            )
        )

    async def add_qualification(
        self, customer_id: str, qualification: str, *, correlation_id: str
    ) -> Qualification:
        """Give the customer a qualification (`StateOwnedEntity`)."""
        response = await self._call(
            "POST",
            f"/customers/{quote(customer_id, safe='')}/qualifications",
            kind=TokenKind.APP_USER,
            correlation_id=correlation_id,
            body={"qualification": qualification},
        )
        return Qualification.model_validate_json(response.content)

    async def validate_resellers(
        self, partner_ids: list[str], *, correlation_id: str
    ) -> list[ResellerValidation]:
        """Whether each partner (PLA) id may be the partner of record of an indirect sale
        ("Validate reseller partner of record (POR)"), checked before transacting."""
        response = await self._call(
            "POST",
            "/partners/validateresellers",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            body={"partnerIds": partner_ids},
        )
        return ResellerValidations.model_validate_json(response.content).validation_results

    async def list_indirect_resellers(self, *, correlation_id: str) -> list[PartnerRelationship]:
        """The indirect provider's resellers, with their MPN ids."""
        return await self._collect(
            self._paginate(
                PartnerRelationship,
                "/relationships",
                kind=TokenKind.APP_USER,
                correlation_id=correlation_id,
                params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
            )
        )

    async def list_customer_resellers(
        self, customer_id: str, *, correlation_id: str
    ) -> list[PartnerRelationship]:
        """The indirect resellers the customer has a relationship with ("Get indirect resellers
        of a customer"; App+User only). Their `id` is the reseller's partner (tenant) id."""
        return await self._collect(
            self._paginate(
                PartnerRelationship,
                f"/customers/{quote(customer_id, safe='')}/relationships",
                kind=TokenKind.APP_USER,
                correlation_id=correlation_id,
            )
        )

    # ------------------------------------------------------------------ catalog

    def iter_products(
        self, *, correlation_id: str, country: str = "US", target_view: str = "OnlineServices"
    ) -> AsyncIterator[Product]:
        """Products of a catalog view, page by page."""
        return self._paginate(
            Product,
            "/products",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            params={"country": country, "targetView": target_view},
        )

    async def list_products(
        self, *, correlation_id: str, country: str = "US", target_view: str = "OnlineServices"
    ) -> list[Product]:
        """All products of a catalog view."""
        return await self._collect(
            self.iter_products(
                correlation_id=correlation_id, country=country, target_view=target_view
            )
        )

    async def list_skus(
        self, product_id: str, *, correlation_id: str, country: str = "US"
    ) -> list[Sku]:
        """SKUs of a product."""
        return await self._collect(
            self._paginate(
                Sku,
                f"/products/{quote(product_id, safe='')}/skus",
                kind=TokenKind.APP_ONLY,
                correlation_id=correlation_id,
                params={"country": country},
            )
        )

    async def list_availabilities(
        self, product_id: str, sku_id: str, *, correlation_id: str, country: str = "US"
    ) -> list[Availability]:
        """Availabilities of a SKU; their `catalog_item_id` goes into cart lines."""
        return await self._collect(
            self._paginate(
                Availability,
                f"/products/{quote(product_id, safe='')}/skus/{quote(sku_id, safe='')}"
                "/availabilities",
                kind=TokenKind.APP_ONLY,
                correlation_id=correlation_id,
                params={"country": country},
            )
        )

    # ------------------------------------------------------------------ carts and orders

    async def create_cart(
        self, customer_id: str, cart: Cart, *, correlation_id: str, request_id: str | None = None
    ) -> Cart:
        """Create a cart (201); it expires 7 days after creation."""
        response = await self._call(
            "POST",
            f"/customers/{quote(customer_id, safe='')}/carts",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            request_id=request_id,
            body=cart.to_wire(),
        )
        return Cart.model_validate_json(response.content)

    async def get_cart(self, customer_id: str, cart_id: str, *, correlation_id: str) -> Cart:
        """A cart; `status` `Ordered` means a checkout went through."""
        return await self._get(
            Cart,
            f"/customers/{quote(customer_id, safe='')}/carts/{quote(cart_id, safe='')}",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
        )

    async def checkout_cart(
        self,
        customer_id: str,
        cart_id: str,
        *,
        correlation_id: str,
        request_id: str | None = None,
    ) -> CartCheckoutResult:
        """Check out a cart once. Retries only 429s and connections that never opened: after a
        timeout or a 5xx the order may exist, so the error propagates (see
        `checkout_cart_safely`). A partial failure is a 200 with `order_errors`."""
        response = await self._call(
            "POST",
            f"/customers/{quote(customer_id, safe='')}/carts/{quote(cart_id, safe='')}/checkout",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
            request_id=request_id,
            retry_on=_retry_checkout,
        )
        return CartCheckoutResult.model_validate_json(response.content)

    async def checkout_cart_safely(
        self,
        customer_id: str,
        cart_id: str,
        *,
        correlation_id: str,
        request_id: str | None = None,
        poll_interval_seconds: float = 2.0,
        orders_poll_seconds: float = 5.0,
    ) -> CartCheckoutResult:
        """Check out a cart so that a lost response never buys twice.

        When the outcome is unknown (timeout, 5xx, dropped connection, 800060/800064/800065):
        read the cart, then post the checkout again: with the same `MS-RequestId` after a
        timeout or a 5xx (Microsoft returns the original result), with a new one after a
        business answer (the old id would replay that answer). An `Ordered` cart refused with
        800065 (Microsoft does not repeat the first result) is looked up in the customer's
        order list, every `orders_poll_seconds` (it may lag). Gives up with
        `CheckoutOutcomeUnknownError` when the retry budget is spent; the caller keeps the
        cart and tries later.
        A result with `order_errors` (a partial failure, HTTP 200/201) is returned as it is.
        """
        request_id = request_id or new_request_id()
        deadline = self._clock() + self._policy.budget_seconds
        last_error: PartnerCenterError | None = None
        while True:
            try:
                return await self.checkout_cart(
                    customer_id, cart_id, correlation_id=correlation_id, request_id=request_id
                )
            except PartnerCenterError as exc:
                if not _outcome_unknown(exc):
                    raise
                last_error = exc
                _log.warning(
                    "partner_center.checkout_outcome_unknown",
                    cart_id=cart_id,
                    request_id=request_id,
                    correlation_id=correlation_id,
                    error=repr(exc),
                )
                if exc.status is not None and exc.status < 500:
                    # A business answer (800060/800064/800065): this id got its answer and
                    # would get it again; only a timeout or a server error keeps the id
                    # ("Partner Center REST headers"). Checkout stays idempotent per cart.
                    request_id = new_request_id()
            cart = await self._read_cart_until(
                customer_id, cart_id, correlation_id, deadline, poll_interval_seconds, last_error
            )
            if cart.is_ordered:
                _log.info("partner_center.checkout_already_ordered", cart_id=cart_id)
                if last_error is not None and is_already_submitted(last_error):
                    orders = await self._orders_of_cart_until(
                        customer_id, cart, correlation_id, deadline, orders_poll_seconds
                    )
                    return CartCheckoutResult(orders=orders)
            # Ordered or not, the same checkout with the same MS-RequestId is the next step:
            # for an ordered cart Microsoft repeats the original result, for an active one it
            # places the order.

    async def _orders_of_cart_until(
        self,
        customer_id: str,
        cart: Cart,
        correlation_id: str,
        deadline: float,
        poll_interval: float,
    ) -> list[Order]:
        while True:
            try:
                listed = await self.list_orders(customer_id, correlation_id=correlation_id)
            except PartnerCenterError as exc:
                if not exc.retryable:
                    raise
                listed = []
            found = orders_of_cart(cart, listed)
            if found is not None:
                _log.info(
                    "partner_center.orders_of_cart_found",
                    cart_id=cart.id,
                    order_ids=[order.id for order in found],
                    correlation_id=correlation_id,
                )
                return found
            if self._clock() + poll_interval > deadline:
                raise CheckoutOutcomeUnknownError(
                    f"cart {cart.id} is ordered but its orders are not listed yet",
                    cart_ordered=True,
                )
            await self._sleep(poll_interval)

    async def _read_cart_until(
        self,
        customer_id: str,
        cart_id: str,
        correlation_id: str,
        deadline: float,
        poll_interval: float,
        last_error: PartnerCenterError | None,
    ) -> Cart:
        while True:
            if self._clock() + poll_interval > deadline:
                raise CheckoutOutcomeUnknownError(
                    f"checkout of cart {cart_id} not confirmed within the retry budget",
                    request_id=last_error.request_id if last_error else None,
                ) from last_error
            await self._sleep(poll_interval)
            try:
                return await self.get_cart(customer_id, cart_id, correlation_id=correlation_id)
            except PartnerCenterError as exc:
                if not exc.retryable:
                    raise
                last_error = exc

    async def get_order(self, customer_id: str, order_id: str, *, correlation_id: str) -> Order:
        """An order; `status` goes pending → completed, lines get `subscription_id`."""
        return await self._get(
            Order,
            f"/customers/{quote(customer_id, safe='')}/orders/{quote(order_id, safe='')}",
            kind=TokenKind.APP_ONLY,
            correlation_id=correlation_id,
        )

    async def list_orders(self, customer_id: str, *, correlation_id: str) -> list[Order]:
        """The customer's orders. A new order can take minutes to appear here: never use this
        to learn whether a checkout went through (read the cart)."""
        return await self._collect(
            self._paginate(
                Order,
                f"/customers/{quote(customer_id, safe='')}/orders",
                kind=TokenKind.APP_ONLY,
                correlation_id=correlation_id,
            )
        )

    async def get_provisioning_status(
        self, customer_id: str, order_id: str, *, correlation_id: str
    ) -> list[ProvisioningStatus]:
        """Provisioning status of each line of an order."""
        return await self._collect(
            self._paginate(
                ProvisioningStatus,
                f"/customers/{quote(customer_id, safe='')}/orders/{quote(order_id, safe='')}"
                "/provisioningstatus",
                kind=TokenKind.APP_USER,
                correlation_id=correlation_id,
            )
        )


def _bearer(token: SecretStr) -> str:
    return f"Bearer {token.get_secret_value()}"


__all__ = ["MCA_LINK", "PartnerCenterClient", "new_request_id"]
