"""The storefront's routes over HTTP, with the real catalog app served in-process.

Checkout is not needed here: these tests cover sign-in, the session cookie, CSRF and the
catalogue pages. The wizard is covered end to end in `tests/browser/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from nceflow.catalog.app import create_app as create_catalog_app
from nceflow.catalog.settings import Settings as CatalogSettings
from nceflow.checkout.app import create_app as create_checkout_app
from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.devstack.processes import free_port
from nceflow.runtime.settings import RedisSettings
from nceflow.storefront.app import SESSION_COOKIE, create_app
from nceflow.storefront.settings import Settings

M365 = "nce-microsoft-365-commercial"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture(scope="module")
def catalog() -> FastAPI:
    """The real catalog app, serving its shipped catalogue."""
    return create_catalog_app(CatalogSettings(catalogue_file=None, reload_interval_seconds=0))


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def browser(
    catalog: FastAPI, redis_url: str, redis_prefix: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with a cookie jar, talking to a storefront backed by the real catalog,
    checkout (its dev sign-in) and a real Redis (its sessions)."""
    redis_settings = RedisSettings(url=redis_url, key_prefix=redis_prefix)
    checkout = create_checkout_app(
        CheckoutSettings(redis=redis_settings, relay_enabled=False, consumer_enabled=False)
    )
    storefront = create_app(
        Settings(checkout_url="http://checkout", redis=redis_settings),
        catalog_transport=httpx.ASGITransport(app=catalog),
        checkout_transport=httpx.ASGITransport(app=checkout),
    )
    transport = httpx.ASGITransport(app=storefront)
    async with (
        checkout.router.lifespan_context(checkout),
        storefront.router.lifespan_context(storefront),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


async def _sign_in(client: httpx.AsyncClient, account: str = "fabrikam") -> httpx.Response:
    page = await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={
            "csrf_token": _csrf(page.text),
            "account_id": account,
            "reseller_id": "tailspin-indirect",
            "next": "/catalogues",
        },
    )


async def test_pages_need_a_signed_in_customer(browser: httpx.AsyncClient) -> None:
    response = await browser.get(f"/tiles/{M365}?term=P1Y")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next=%2Ftiles%2F{M365}%3Fterm%3DP1Y"


async def test_sign_in_sets_an_httponly_samesite_cookie_holding_only_a_session_id(
    browser: httpx.AsyncClient, redis: Redis, redis_prefix: str
) -> None:
    response = await _sign_in(browser)
    assert response.status_code == 303
    assert response.headers["location"] == "/catalogues"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    # The cookie is a random id; the session (with the customer's bearer token) is in Redis.
    value = cookie.split(";")[0].split("=", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{32}", value)
    stored = await redis.get(f"{redis_prefix}:storefront:session:{value}")
    assert stored is not None
    assert json.loads(stored)["customer"]["account_id"] == "fabrikam"
    page = await browser.get("/catalogues")
    assert page.status_code == 200
    assert "fabrikam · Tailspin IT Services" in page.text


async def test_sign_in_starts_a_new_session_id(browser: httpx.AsyncClient) -> None:
    """An id the visitor had before signing in (one an attacker could have planted) is not the
    signed-in session's: session fixation."""
    await browser.get("/sign-in")
    before = browser.cookies[SESSION_COOKIE]
    await _sign_in(browser)
    assert browser.cookies[SESSION_COOKIE] != before
    planted = httpx.AsyncClient(transport=browser._transport, base_url="http://testserver")
    async with planted:
        planted.cookies.set(SESSION_COOKIE, before)
        assert (await planted.get("/catalogues")).status_code == 303


async def test_an_unknown_session_id_is_a_signed_out_visitor(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    value = browser.cookies[SESSION_COOKIE]
    browser.cookies.set(SESSION_COOKIE, value[:-1] + ("a" if value[-1] != "a" else "b"))
    response = await browser.get("/catalogues")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


async def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(
    browser: httpx.AsyncClient, redis: Redis, redis_prefix: str
) -> None:
    """A cookie copied before sign-out (another tab, a stolen one) opens nothing afterwards."""
    await _sign_in(browser)
    copied = browser.cookies[SESSION_COOKIE]
    page = await browser.get("/catalogues")
    done = await browser.post("/sign-out", data={"csrf_token": _csrf(page.text)})
    assert done.status_code == 303
    assert await redis.exists(f"{redis_prefix}:storefront:session:{copied}") == 0
    replay = httpx.AsyncClient(transport=browser._transport, base_url="http://testserver")
    async with replay:
        replay.cookies.set(SESSION_COOKIE, copied)
        response = await replay.get("/catalogues")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


@pytest.mark.integration  # a real server on loopback
async def test_sessions_unavailable_is_a_503_page(catalog: FastAPI) -> None:
    storefront = create_app(
        Settings(redis=RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0")),
        catalog_transport=httpx.ASGITransport(app=catalog),
    )
    transport = httpx.ASGITransport(app=storefront)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/sign-in")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert "Try again shortly" in response.text
        assert (await client.get("/healthz")).status_code == 200


async def test_sign_in_without_the_csrf_token_is_refused(browser: httpx.AsyncClient) -> None:
    await browser.get("/sign-in")
    response = await browser.post(
        "/sign-in", data={"account_id": "fabrikam", "reseller_id": "tailspin-indirect"}
    )
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert (await browser.get("/catalogues")).status_code == 303


async def test_add_to_cart_with_another_sessions_token_is_refused(
    browser: httpx.AsyncClient,
) -> None:
    await _sign_in(browser)
    response = await browser.post(
        "/cart/items",
        data={"csrf_token": "not-this-sessions-token", "plan_id": "x", "quantity": "1"},
    )
    assert response.status_code == 403


async def test_sign_out_needs_the_csrf_token(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    refused = await browser.post("/sign-out")
    assert refused.status_code == 403
    assert (await browser.get("/catalogues")).status_code == 200
    page = await browser.get("/catalogues")
    done = await browser.post("/sign-out", data={"csrf_token": _csrf(page.text)})
    assert done.status_code == 303
    assert (await browser.get("/catalogues")).status_code == 303


async def test_sign_in_refuses_an_unknown_reseller_and_keeps_the_form(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/sign-in")
    response = await browser.post(
        "/sign-in",
        data={"csrf_token": _csrf(page.text), "account_id": "acme", "reseller_id": "nobody"},
    )
    assert response.status_code == 422
    assert 'value="acme"' in response.text
    assert "pick a reseller" in response.text


async def test_sign_in_never_redirects_off_site(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/sign-in")
    response = await browser.post(
        "/sign-in",
        data={
            "csrf_token": _csrf(page.text),
            "account_id": "acme",
            "reseller_id": "adatum-direct",
            "next": "//evil.example/phish",
        },
    )
    assert response.headers["location"] == "/"


async def test_catalogue_to_tile_in_the_seeds_words(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    catalogues = await browser.get("/catalogues")
    assert "Microsoft NCE Catalogue" in catalogues.text
    tiles = await browser.get("/catalogues/microsoft-nce")
    assert "NCE Microsoft 365 (Commercial)" in tiles.text
    assert f'href="/tiles/{M365}"' in tiles.text
    tile = await browser.get(f"/tiles/{M365}")
    assert tile.status_code == 200
    assert tile.headers["cache-control"] == "no-store"
    assert "Microsoft 365 Business Basic" in tile.text
    assert tile.text.count(">Add to Cart</button>") >= 10


async def test_tile_filters_by_term_billing_and_words(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    tile = await browser.get(
        f"/tiles/{M365}", params={"term": "P1Y", "billing_cycle": "annual", "q": "business basic"}
    )
    plans = re.findall(r'id="plan-([a-z0-9-]+)"', tile.text)
    assert plans == ["cfq7ttc0lh18-0001-p1y-annual-us"]
    none = await browser.get(f"/tiles/{M365}", params={"q": "no such plan"})
    assert "No plan matches" in none.text


async def test_unknown_pages_are_friendly_404s(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    for path in ("/tiles/no-such-tile", "/catalogues/no-such-catalogue", "/nowhere"):
        response = await browser.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")


async def test_checkout_down_is_a_503_page_not_a_crash(browser: httpx.AsyncClient) -> None:
    await _sign_in(browser)
    page = await browser.get(f"/tiles/{M365}")
    response = await browser.post(
        "/cart/items",
        data={
            "csrf_token": _csrf(page.text),
            "plan_id": "cfq7ttc0lh18-0001-p1y-annual-us",
            "quantity": "1",
        },
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "We cannot reach the shop right now" in response.text


async def test_a_microsoft_answer_this_session_did_not_ask_for_is_dropped(
    browser: httpx.AsyncClient,
) -> None:
    # A forged or replayed callback never reaches checkout (which this storefront cannot reach:
    # a call would be a 503 page, not this redirect).
    await _sign_in(browser)
    response = await browser.get(
        "/sign-in/microsoft/callback", params={"code": "stolen", "state": "s" * 32}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/cart"
    page = await browser.get("/catalogues")
    assert "That Microsoft sign-in was not started here" in page.text
    signed_out = httpx.AsyncClient(transport=browser._transport, base_url="http://testserver")
    async with signed_out:
        anonymous = await signed_out.get("/sign-in/microsoft/callback", params={"state": "x"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in")


async def test_a_form_too_large_is_refused_before_it_is_parsed(browser: httpx.AsyncClient) -> None:
    """A large form (here 1 MB; 60 MB before the limit) is refused at its size, not parsed and
    then refused for its missing CSRF token."""
    announced = await browser.post("/sign-in", data={"account_id": "a" * 1_000_000})
    assert announced.status_code == 413
    assert "Too much to send" in announced.text

    async def streamed() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 10_000

    chunked = await browser.post(
        "/sign-in",
        content=streamed(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413


async def test_every_page_forbids_framing_and_foreign_scripts(browser: httpx.AsyncClient) -> None:
    for response in (await browser.get("/sign-in"), await browser.get("/no-such-page")):
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'self'" in policy
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
