"""`PartnerCenterClient` against the Partner Center simulator, through real HTTP.

Every call once; then the failure behaviour: retries keep the MS-RequestId (read from the
simulator's request log), Retry-After is honoured (on a fake clock), other 4xx are not retried,
and a checkout whose response is lost places exactly one order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from nceflow.partner_center import (
    Address,
    BillingProfile,
    Cart,
    CartLineItem,
    CartLineItemParticipant,
    CheckoutOutcomeUnknownError,
    CompanyProfile,
    Contact,
    Customer,
    EntraIdTokenProvider,
    PartnerCenterAuthenticationError,
    PartnerCenterBadRequestError,
    PartnerCenterClient,
    PartnerCenterConnectionError,
    PartnerCenterError,
    PartnerCenterForbiddenError,
    PartnerCenterNotFoundError,
    PartnerCenterServerError,
    PartnerCenterSettings,
    PartnerCenterThrottledError,
    PartnerCenterTimeoutError,
    StaticTokenProvider,
    TokenKind,
    is_indirect_participant_missing,
    is_mca_not_accepted,
    is_relationship_missing,
    new_request_id,
)
from nceflow.testing.partner_center import FakeClock, SimControl, partner_settings, seed

BASIC = "CFQ7TTC0LH18"  # Microsoft 365 Business Basic


def customer_id(domain: str) -> str:
    return str(next(c["id"] for c in seed()["customers"] if c["domain"] == domain))


CONTOSO = customer_id("contoso.onmicrosoft.com")
FABRIKAM = customer_id("fabrikam.onmicrosoft.com")  # no MCA
NORTHWIND = customer_id("northwind.onmicrosoft.com")  # no relationship


def corr() -> str:
    return str(uuid.uuid4())


async def basic_catalog_item(client: PartnerCenterClient) -> str:
    (sku, *_) = await client.list_skus(BASIC, correlation_id=corr())
    (availability, *_) = await client.list_availabilities(BASIC, sku.id, correlation_id=corr())
    return availability.catalog_item_id


async def basic_cart(client: PartnerCenterClient, reseller_mpn: str | None = None) -> Cart:
    participants = (
        [CartLineItemParticipant(key="transaction_reseller", value=reseller_mpn)]
        if reseller_mpn
        else None
    )
    return Cart(
        partner_on_record_attestation_accepted=True,  # required on every cart
        line_items=[
            CartLineItem(
                id=0,
                catalog_item_id=await basic_catalog_item(client),
                quantity=3,
                billing_cycle="monthly",
                term_duration="P1Y",
                participants=participants,
            )
        ],
    )


async def create_and_checkout(client: PartnerCenterClient, customer: str, cart: Cart) -> None:
    created = await client.create_cart(customer, cart, correlation_id=corr())
    assert created.id
    await client.checkout_cart(customer, created.id, correlation_id=corr())


# ---------------------------------------------------------------------------- every call


async def test_domain_availability(client: PartnerCenterClient) -> None:
    assert await client.domain_exists("contoso.onmicrosoft.com", correlation_id=corr())
    assert not await client.domain_exists(
        f"free{uuid.uuid4().hex[:8]}.onmicrosoft.com", correlation_id=corr()
    )


async def test_customer_lookup_returns_exact_domain_matches_only(
    client: PartnerCenterClient,
) -> None:
    prefix_matches = [c async for c in client.iter_customers("contoso", correlation_id=corr())]
    domains = {c.company_profile.domain for c in prefix_matches if c.company_profile}
    assert {"contoso.onmicrosoft.com", "contosoltd.onmicrosoft.com"} <= domains
    exact = await client.find_customers_by_domain("Contoso.onmicrosoft.com", correlation_id=corr())
    assert [c.id for c in exact] == [CONTOSO]


async def test_get_customer_tells_the_relationship(client: PartnerCenterClient) -> None:
    contoso = await client.get_customer(CONTOSO, correlation_id=corr())
    assert contoso.has_reseller_relationship
    assert contoso.company_profile is not None
    assert contoso.company_profile.domain == "contoso.onmicrosoft.com"
    northwind = await client.get_customer(NORTHWIND, correlation_id=corr())
    assert not northwind.has_reseller_relationship


async def test_create_customer_then_its_domain_is_taken(client: PartnerCenterClient) -> None:
    domain = f"nce{uuid.uuid4().hex[:10]}.onmicrosoft.com"
    address = Address(
        first_name="Ada",
        last_name="Lovelace",
        address_line1="1 Microsoft Way",
        city="Redmond",
        state="WA",
        postal_code="98052",
        country="US",
        phone_number="4255550100",
    )
    validation = await client.validate_address(address, correlation_id=corr())
    assert validation.status
    created = await client.create_customer(
        Customer(
            company_profile=CompanyProfile(domain=domain),
            billing_profile=BillingProfile(
                culture="EN-US",
                email="it@example.com",
                language="En",
                company_name="New Co",
                default_address=address,
            ),
        ),
        correlation_id=corr(),
    )
    assert created.id
    assert created.user_credentials is not None
    assert created.user_credentials.password is not None
    assert created.user_credentials.password.get_secret_value() not in repr(created)
    assert await client.domain_exists(domain, correlation_id=corr())
    assert (await client.get_customer(created.id, correlation_id=corr())).id == created.id


async def test_create_customer_with_a_persisted_request_id_is_created_once(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    domain = f"nce{uuid.uuid4().hex[:10]}.onmicrosoft.com"
    customer = Customer(
        company_profile=CompanyProfile(domain=domain),
        billing_profile=BillingProfile(
            culture="EN-US",
            email="it@example.com",
            language="En",
            company_name="Again Co",
            default_address=Address(
                first_name="A",
                last_name="B",
                address_line1="1 Main St",
                city="Redmond",
                state="WA",
                postal_code="98052",
                country="US",
            ),
        ),
    )
    request_id = new_request_id()  # what the saga stores before calling
    first = await client.create_customer(customer, correlation_id=corr(), request_id=request_id)
    again = await client.create_customer(customer, correlation_id=corr(), request_id=request_id)
    assert again.id == first.id


async def test_relationship_link_and_acceptance(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    link = await client.relationship_request_link(correlation_id=corr())
    assert link.url.startswith("https://admin.microsoft.com/")
    assert "ResellerRelationship" in link.url
    response = await sim.http.post(f"/_sim/customers/{NORTHWIND}/accept-relationship")
    assert response.status_code in (200, 204), response.text
    assert (await client.get_customer(NORTHWIND, correlation_id=corr())).has_reseller_relationship


async def test_mca_template_listing_and_attestation(client: PartnerCenterClient) -> None:
    template_id = await client.mca_template_id(correlation_id=corr())
    assert template_id == seed()["mcaTemplateId"]
    assert await client.list_customer_agreements(CONTOSO, correlation_id=corr())
    assert await client.list_customer_agreements(FABRIKAM, correlation_id=corr()) == []
    agreement = await client.attest_mca(
        FABRIKAM,
        contact=Contact(
            first_name="Grace", last_name="Hopper", email="it@fabrikam.example", phone_number="1"
        ),
        template_id=template_id,
        correlation_id=corr(),
    )
    assert agreement.template_id == template_id
    (recorded,) = await client.list_customer_agreements(FABRIKAM, correlation_id=corr())
    assert recorded.template_id == template_id


async def test_state_owned_entity_qualification(client: PartnerCenterClient) -> None:
    before = await client.list_qualifications(CONTOSO, correlation_id=corr())
    assert "StateOwnedEntity" not in {q.qualification for q in before}
    added = await client.add_qualification(CONTOSO, "StateOwnedEntity", correlation_id=corr())
    assert added.qualification == "StateOwnedEntity"
    after = await client.list_qualifications(CONTOSO, correlation_id=corr())
    assert "StateOwnedEntity" in {q.qualification for q in after}


async def test_indirect_resellers_of_the_provider(indirect_client: PartnerCenterClient) -> None:
    resellers = await indirect_client.list_indirect_resellers(correlation_id=corr())
    expected = next(p for p in seed()["partners"] if p["key"] == "indirect")["resellers"]
    assert {r.mpn_id for r in resellers} == {r["mpnId"] for r in expected}
    assert {r.id for r in resellers} == {r["partnerId"] for r in expected}


async def test_catalog_products_skus_availabilities(client: PartnerCenterClient) -> None:
    products = await client.list_products(correlation_id=corr())
    assert {"CFQ7TTC0LH18", "CFQ7TTC0LDPB", "CFQ7TTC0LCHC", "CFQ7TTC0LFLX"} <= {
        p.id for p in products
    }
    skus = await client.list_skus(BASIC, correlation_id=corr())
    assert skus
    assert skus[0].id
    availabilities = await client.list_availabilities(BASIC, skus[0].id, correlation_id=corr())
    assert availabilities
    item = availabilities[0]
    assert item.catalog_item_id == f"{BASIC}:{skus[0].id}:{item.id}"
    assert {t.duration for t in item.terms} >= {"P1M", "P1Y"}


async def test_cart_checkout_order_and_provisioning(client: PartnerCenterClient) -> None:
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    assert cart.status == "Active"
    assert cart.creation_timestamp is not None
    assert cart.expiration_timestamp is not None
    assert (cart.expiration_timestamp - cart.creation_timestamp).days == 7
    result = await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
    assert result.order_errors == []
    (order,) = result.orders
    assert (await client.get_cart(CONTOSO, cart.id, correlation_id=corr())).is_ordered
    fetched = await client.get_order(CONTOSO, order.id, correlation_id=corr())
    assert fetched.id == order.id
    assert fetched.status in ("pending", "completed")
    assert fetched.line_items[0].quantity == 3
    statuses = await client.get_provisioning_status(CONTOSO, order.id, correlation_id=corr())
    assert statuses
    assert order.id in {o.id for o in await client.list_orders(CONTOSO, correlation_id=corr())}
    # Checking out the same cart again repeats the result instead of buying twice.
    again = await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
    assert [o.id for o in again.orders] == [order.id]


async def test_indirect_sale_needs_reseller_participant(
    indirect_client: PartnerCenterClient,
) -> None:
    reseller = next(p for p in seed()["partners"] if p["key"] == "indirect")["resellers"][0]
    plain = await basic_cart(indirect_client)
    # Microsoft may refuse at cart creation or at checkout; either must be 900206.
    with pytest.raises(PartnerCenterError) as info:
        await create_and_checkout(indirect_client, CONTOSO, plain)
    assert is_indirect_participant_missing(info.value)
    good = await indirect_client.create_cart(
        CONTOSO, await basic_cart(indirect_client, reseller["mpnId"]), correlation_id=corr()
    )
    assert good.id
    result = await indirect_client.checkout_cart(CONTOSO, good.id, correlation_id=corr())
    assert len(result.orders) == 1


async def test_refusals_are_classified(client: PartnerCenterClient, sim: SimControl) -> None:
    with pytest.raises(PartnerCenterForbiddenError) as mca:
        await create_and_checkout(client, FABRIKAM, await basic_cart(client))
    assert is_mca_not_accepted(mca.value)
    with pytest.raises(PartnerCenterForbiddenError) as relationship:
        await create_and_checkout(client, NORTHWIND, await basic_cart(client))
    assert is_relationship_missing(relationship.value)


async def test_bad_credentials_fail_without_leaking_the_secret(sim: SimControl) -> None:
    settings = partner_settings(sim.base_url, "direct", client_secret="wrong-secret-value")
    async with PartnerCenterClient(settings) as client:
        with pytest.raises(PartnerCenterAuthenticationError) as info:
            await client.get_customer(CONTOSO, correlation_id=corr())
    assert "wrong-secret-value" not in str(info.value)
    assert "wrong-secret-value" not in repr(info.value)


# ---------------------------------------------------------------------------- failures


async def test_retries_reuse_the_ms_request_id(
    client: PartnerCenterClient, sim: SimControl, clock: FakeClock
) -> None:
    path = f"/v1/customers/{CONTOSO}"
    await sim.fault(kind="500", path=path, method="GET", count=1)
    await sim.fault(kind="503", path=path, method="GET", count=1, retryAfterSeconds=0)
    customer = await client.get_customer(CONTOSO, correlation_id=corr())
    assert customer.id == CONTOSO
    seen = await sim.requests(path=path, method="GET")
    assert [r["status"] for r in seen] == [500, 503, 200]
    assert len({r["ms_request_id"] for r in seen}) == 1
    # "MS-CorrelationId ... should be reset for every call" ("Partner Center REST headers").
    assert len({r["ms_correlation_id"] for r in seen}) == 3
    assert len(clock.sleeps) == 2


async def test_dropped_connection_is_retried_with_the_same_request_id(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    path = f"/v1/customers/{CONTOSO}"
    await sim.fault(kind="drop", path=path, method="GET", count=1)
    assert (await client.get_customer(CONTOSO, correlation_id=corr())).id == CONTOSO
    seen = await sim.requests(path=path, method="GET")
    assert len(seen) == 2
    assert len({r["ms_request_id"] for r in seen}) == 1


async def test_retry_after_is_honoured_on_the_fake_clock(
    client: PartnerCenterClient, sim: SimControl, clock: FakeClock
) -> None:
    path = f"/v1/customers/{CONTOSO}"
    await sim.fault(kind="429", path=path, method="GET", count=2, retryAfterSeconds=7)
    started = clock()
    assert (await client.get_customer(CONTOSO, correlation_id=corr())).id == CONTOSO
    assert clock.sleeps == [7, 7]
    assert clock() - started == 14


async def test_throttling_beyond_the_budget_surfaces_as_throttled(
    sim: SimControl, clock: FakeClock
) -> None:
    settings = partner_settings(sim.base_url, "direct", retry_budget_seconds=10)
    path = f"/v1/customers/{CONTOSO}"
    await sim.fault(kind="429", path=path, method="GET", count=5, retryAfterSeconds=30)
    async with PartnerCenterClient(settings, clock=clock, sleep=clock.sleep) as client:
        with pytest.raises(PartnerCenterThrottledError) as info:
            await client.get_customer(CONTOSO, correlation_id=corr())
    assert info.value.retry_after == 30
    assert clock.sleeps == []


async def test_the_retry_budget_counts_the_first_attempt(clock: FakeClock) -> None:
    calls: list[str] = []

    def slow_then_throttled(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["MS-RequestId"])
        clock.advance(58)  # the first answer took 58 s
        body = {"statusCode": 429, "message": "Rate limit is exceeded."}
        return httpx.Response(429, headers={"Retry-After": "5"}, json=body)

    settings = PartnerCenterSettings(
        base_url="https://pc.example", rate_limit_per_minute=0, retry_budget_seconds=60
    )
    tokens = StaticTokenProvider({TokenKind.APP_ONLY: SecretStr("app-token")})
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(slow_then_throttled)) as http,
        PartnerCenterClient(
            settings, http=http, token_provider=tokens, clock=clock, sleep=clock.sleep
        ) as client,
    ):
        with pytest.raises(PartnerCenterThrottledError):
            await client.get_customer(CONTOSO, correlation_id=corr())
    assert len(calls) == 1
    assert clock.sleeps == []  # 58 s + the 5 s wait would end after the 60 s budget


@pytest.mark.parametrize("case", ["400", "403", "404"])
async def test_other_4xx_are_not_retried(
    client: PartnerCenterClient, sim: SimControl, clock: FakeClock, case: str
) -> None:
    correlation_id = corr()
    call: Callable[[], Awaitable[object]]
    if case == "404":
        call = partial(client.get_customer, str(uuid.uuid4()), correlation_id=correlation_id)
    elif case == "403":
        cart = await client.create_cart(FABRIKAM, await basic_cart(client), correlation_id=corr())
        assert cart.id
        call = partial(client.checkout_cart, FABRIKAM, cart.id, correlation_id=correlation_id)
    else:
        line = CartLineItem(id=0, catalog_item_id="nonsense", quantity=1, billing_cycle="x")
        bad = Cart(line_items=[line])
        call = partial(client.create_cart, CONTOSO, bad, correlation_id=correlation_id)
    with pytest.raises(PartnerCenterError) as info:
        await call()
    assert info.value.status == int(case)
    assert not info.value.retryable
    assert info.value.request_id
    assert len(await sim.requests(requestId=info.value.request_id)) == 1
    assert clock.sleeps == []


async def test_checkout_is_not_blindly_retried_after_a_server_error(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    await sim.fault(kind="500", path=f"/v1/customers/{CONTOSO}/carts/*/checkout", count=1)
    with pytest.raises(PartnerCenterServerError):
        await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
    assert len(await sim.requests(path=f"/v1/customers/{CONTOSO}/carts/*/checkout")) == 1


@pytest.mark.parametrize("hang_seconds", [0, 3])
async def test_lost_checkout_response_places_one_order_with_checkout_cart_safely(
    sim: SimControl, clock: FakeClock, hang_seconds: float
) -> None:
    # hang 0: the connection is cut right after the order is placed; hang 3: the client's
    # 1 s read timeout fires first. Either way the order exists and the response is lost.
    settings = partner_settings(sim.base_url, "direct", read_timeout_seconds=1)
    async with PartnerCenterClient(settings, clock=clock, sleep=clock.sleep) as client:
        cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
        assert cart.id
        checkout_path = f"/v1/customers/{CONTOSO}/carts/{cart.id}/checkout"
        await sim.fault(kind="lost_response", path=checkout_path, count=1, hangSeconds=hang_seconds)
        request_id = new_request_id()
        correlation_id = corr()
        with pytest.raises((PartnerCenterTimeoutError, PartnerCenterConnectionError)):
            await client.checkout_cart(
                CONTOSO, cart.id, correlation_id=correlation_id, request_id=request_id
            )
        # What the saga does after the crash: same cart, same request id, the safe path.
        result = await client.checkout_cart_safely(
            CONTOSO, cart.id, correlation_id=correlation_id, request_id=request_id
        )
    (order,) = result.orders
    orders: list[dict[str, Any]] = await sim.orders(CONTOSO)
    assert [o["id"] for o in orders] == [order.id]
    sent = await sim.requests(path=checkout_path)
    assert len(sent) == 2
    assert {r["ms_request_id"] for r in sent} == {request_id}


async def test_checkout_cart_safely_survives_a_lost_response_in_one_call(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    checkout_path = f"/v1/customers/{CONTOSO}/carts/{cart.id}/checkout"
    await sim.fault(kind="lost_response", path=checkout_path, count=1, hangSeconds=0)
    result = await client.checkout_cart_safely(CONTOSO, cart.id, correlation_id=corr())
    (order,) = result.orders
    assert [o["id"] for o in await sim.orders(CONTOSO)] == [order.id]
    first, second = await sim.requests(path=checkout_path)
    assert first["ms_request_id"] == second["ms_request_id"]
    # The rule: the cart was read (and found Ordered) between the two checkouts.
    reads = await sim.requests(path=f"/v1/customers/{CONTOSO}/carts/{cart.id}", method="GET")
    assert any(first["seq"] < r["seq"] < second["seq"] for r in reads)


async def test_server_errors_exhaust_the_attempts(
    client: PartnerCenterClient, sim: SimControl, clock: FakeClock
) -> None:
    path = f"/v1/customers/{CONTOSO}"
    await sim.fault(kind="500", path=path, method="GET", count=50)
    with pytest.raises(PartnerCenterServerError):
        await client.get_customer(CONTOSO, correlation_id=corr())
    assert len(clock.sleeps) == 4  # five attempts by default


async def test_not_found_is_typed(client: PartnerCenterClient) -> None:
    with pytest.raises(PartnerCenterNotFoundError):
        await client.get_cart(CONTOSO, str(uuid.uuid4()), correlation_id=corr())


async def test_client_rate_limiter_queues_a_burst_instead_of_collecting_429s(
    sim: SimControl, clock: FakeClock
) -> None:
    settings = partner_settings(
        sim.base_url, "direct", rate_limit_per_minute=60, rate_limit_burst=2
    )
    started = clock()
    async with PartnerCenterClient(settings, clock=clock, sleep=clock.sleep) as client:
        correlation_id = corr()
        customers = await asyncio.gather(
            *(client.get_customer(CONTOSO, correlation_id=correlation_id) for _ in range(5))
        )
    assert {c.id for c in customers} == {CONTOSO}
    # Two go at once; the other three had to wait: five calls at 60/min with a burst of two
    # take at least 3 s. (Each fake sleep advances the shared fake time.)
    assert len(clock.sleeps) == 3
    assert clock() - started >= 3
    seen = await sim.requests(path=f"/v1/customers/{CONTOSO}", method="GET")
    assert [r["status"] for r in seen] == [200] * 5


async def test_logs_of_token_fetches_and_retries_carry_no_secrets(
    sim: SimControl, clock: FakeClock
) -> None:
    settings = partner_settings(sim.base_url, "direct")
    await sim.fault(kind="500", path=f"/v1/customers/{CONTOSO}", method="GET", count=1)
    with capture_logs() as logs:
        async with httpx.AsyncClient() as http:
            tokens = EntraIdTokenProvider.from_settings(settings, http, clock=clock)
            async with PartnerCenterClient(
                settings, http=http, token_provider=tokens, clock=clock, sleep=clock.sleep
            ) as client:
                await client.get_customer(CONTOSO, correlation_id=corr())
            access_token = (await tokens.get_token(TokenKind.APP_ONLY)).get_secret_value()
    events = {entry["event"] for entry in logs}
    assert {"partner_center.token_acquired", "partner_center.retry"} <= events
    text = repr(logs)
    assert settings.refresh_token is not None
    for secret in (
        settings.client_secret.get_secret_value(),
        settings.refresh_token.get_secret_value(),
        access_token,
    ):
        assert secret not in text


async def test_checkout_after_a_business_answer_is_sent_with_a_new_request_id(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    # 409 / 800064 is an answer: the simulator replays it to the same MS-RequestId, as Microsoft
    # does, so a client that reused the id would never get past it.
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    checkout_path = f"/v1/customers/{CONTOSO}/carts/{cart.id}/checkout"
    await sim.fault(
        kind="error",
        path=checkout_path,
        count=1,
        status=409,
        code=800064,
        description="The cart is being processed by another request.",
    )
    result = await client.checkout_cart_safely(
        CONTOSO, cart.id, correlation_id=corr(), poll_interval_seconds=0.01
    )
    (order,) = result.orders
    assert [o["id"] for o in await sim.orders(CONTOSO)] == [order.id]
    refused, placed = await sim.requests(path=checkout_path)
    assert (refused["status"], placed["status"]) == (409, 201)
    assert refused["ms_request_id"] != placed["ms_request_id"]


async def test_an_already_submitted_cart_is_found_in_the_lagging_order_list(
    sim: SimControl,
) -> None:
    """ "Can't check out an already submitted cart" (400 / 800065) for a cart that reads
    `Ordered`: the client finds the order the cart made in the customer's order list, which
    shows it only after a while, instead of failing or buying again."""
    await sim.configure(repeat_checkout="already_submitted", order_list_delay_seconds=1.0)
    # Real time: the simulator's order list lags by the wall clock.
    async with PartnerCenterClient(partner_settings(sim.base_url, "direct")) as client:
        cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
        assert cart.id
        first = await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
        (placed,) = first.orders
        # A second checkout under a new MS-RequestId (as after a lost answer whose id Partner
        # Center no longer remembers).
        again = await client.checkout_cart_safely(
            CONTOSO,
            cart.id,
            correlation_id=corr(),
            poll_interval_seconds=0.05,
            orders_poll_seconds=0.2,
        )
    assert [order.id for order in again.orders] == [placed.id]
    checkout_path = f"/v1/customers/{CONTOSO}/carts/{cart.id}/checkout"
    statuses = [r["status"] for r in await sim.requests(path=checkout_path)]
    assert statuses == [201, 400]  # refused once, never sent again
    listings = await sim.requests(method="GET", path=f"/v1/customers/{CONTOSO}/orders")
    assert len(listings) >= 2  # the first listing did not show the order yet
    assert len(await sim.orders(CONTOSO)) == 1


async def test_an_ordered_cart_whose_orders_are_not_listed_in_time_is_reported_ordered(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    await sim.configure(repeat_checkout="already_submitted", order_list_delay_seconds=3600.0)
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
    with pytest.raises(CheckoutOutcomeUnknownError) as raised:
        await client.checkout_cart_safely(CONTOSO, cart.id, correlation_id=corr())
    assert raised.value.cart_ordered is True
    listings = await sim.requests(method="GET", path=f"/v1/customers/{CONTOSO}/orders")
    # Every 5 s of the 60 s budget (on the fake clock), not a tight loop.
    assert 2 <= len(listings) <= 13
    assert len(await sim.orders(CONTOSO)) == 1


async def test_a_repeated_checkout_answered_with_the_first_result_needs_no_lookup(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    first = await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
    again = await client.checkout_cart_safely(CONTOSO, cart.id, correlation_id=corr())
    assert [o.id for o in again.orders] == [o.id for o in first.orders]
    assert await sim.requests(method="GET", path=f"/v1/customers/{CONTOSO}/orders") == []


async def test_every_call_has_its_own_ms_correlation_id_logged_with_ours(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    """ "MS-CorrelationId: A unique identifier for the call ... The value should be reset for
    every call" ("Partner Center REST headers"). Our own id (one per order) is in the log line of
    each call beside Microsoft's, and a refusal names the call's."""
    ours = corr()
    with capture_logs() as logs:
        await client.get_customer(CONTOSO, correlation_id=ours)
        await client.get_customer(CONTOSO, correlation_id=ours)
        with pytest.raises(PartnerCenterError) as refused:
            await client.get_customer(str(uuid.uuid4()), correlation_id=ours)
    sent = await sim.requests(method="GET")
    assert await sim.requests(correlationId=ours) == []  # ours is not Microsoft's
    ms_ids = [r["ms_correlation_id"] for r in sent]
    assert len(set(ms_ids)) == len(sent) == 3
    calls = [line for line in logs if line["event"] == "partner_center.call"]
    assert [line["ms_correlation_id"] for line in calls] == ms_ids
    assert {line["correlation_id"] for line in calls} == {ours}
    assert refused.value.call_correlation_id == ms_ids[-1]
    assert ms_ids[-1] in str(refused.value)


async def test_a_cart_line_error_is_read_from_the_created_cart(
    client: PartnerCenterClient, sim: SimControl
) -> None:
    """ "Cart resources": a created cart (201) can carry `lineItems[].error`; its checkout is then
    refused. Here the SKU enforces an attestation the line did not accept (10012)."""
    (sku, *_) = await client.list_skus(BASIC, correlation_id=corr())
    response = await sim.http.post(
        "/_sim/catalog/attestation", json={"productId": BASIC, "skuId": sku.id}
    )
    response.raise_for_status()
    (sku, *_) = await client.list_skus(BASIC, correlation_id=corr())
    assert sku.attestation_properties is not None
    assert sku.attestation_properties.enforce_attestation is True
    cart = await client.create_cart(CONTOSO, await basic_cart(client), correlation_id=corr())
    assert cart.id
    ((line, error),) = cart.line_errors
    assert (line.id, error.error_code) == (0, 10012)
    with pytest.raises(PartnerCenterBadRequestError) as refused:
        await client.checkout_cart(CONTOSO, cart.id, correlation_id=corr())
    assert refused.value.code == 800009
    accepted = await basic_cart(client)
    accepted.line_items[0].attestation_accepted = True
    fixed = await client.create_cart(CONTOSO, accepted, correlation_id=corr())
    assert fixed.line_errors == []
    assert fixed.id
    assert (await client.checkout_cart(CONTOSO, fixed.id, correlation_id=corr())).orders


async def test_resellers_are_validated_as_partner_of_record(
    indirect_client: PartnerCenterClient,
) -> None:
    """ "Validate reseller partner of record (POR)": one result per id, Microsoft's reason for
    an id that is not an authorized indirect reseller of the provider."""
    indirect = next(p for p in seed()["partners"] if p["key"] == "indirect")
    reseller = indirect["resellers"][0]["mpnId"]
    valid, invalid = await indirect_client.validate_resellers(
        [reseller, "9999999"], correlation_id=corr()
    )
    assert (valid.partner_id, valid.is_valid_partner_id_on_record) == (reseller, True)
    assert (invalid.partner_id, invalid.is_valid_partner_id_on_record) == ("9999999", False)
    assert invalid.error_code == 900400
    assert invalid.error_description


async def test_a_customers_indirect_resellers_are_listed(
    indirect_client: PartnerCenterClient, sim: SimControl
) -> None:
    """ "Get indirect resellers of a customer": the resellers it accepted, by partner id."""
    indirect = next(p for p in seed()["partners"] if p["key"] == "indirect")
    tailspin, wingtip = (r["partnerId"] for r in indirect["resellers"][:2])
    linked = await indirect_client.list_customer_resellers(CONTOSO, correlation_id=corr())
    assert [r.id for r in linked] == [tailspin]
    accepted = await sim.http.post(
        f"/_sim/customers/{CONTOSO}/accept-relationship",
        params={"partner": "indirect", "reseller": wingtip},
    )
    accepted.raise_for_status()
    linked = await indirect_client.list_customer_resellers(CONTOSO, correlation_id=corr())
    assert sorted(r.id for r in linked) == sorted([tailspin, wingtip])
