"""Contract tests: the requests the client sends, and how it reads the answers, match the sample
payloads of Microsoft's Partner Center pages (kept in `samples/`, each with its page title).

The HTTP exchange is captured in-process so that the exact bytes the client would put on the wire
to api.partnercenter.microsoft.com are compared with Microsoft's samples: through each wire, the
production one (aiohttp, to a local server) and an injected `httpx.AsyncClient`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from pydantic import SecretStr

from nceflow.partner_center import (
    Address,
    BillingProfile,
    Cart,
    CartLineItem,
    CartLineItemParticipant,
    CompanyProfile,
    Contact,
    Customer,
    PartnerCenterClient,
    PartnerCenterSettings,
    StaticTokenProvider,
    TokenKind,
)

SAMPLES = Path(__file__).parent / "samples"
PC = "https://api.partnercenter.microsoft.com"


def sample(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    assert document["page"], "every sample names the Microsoft page it came from"
    return document


def drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


class Recorder:
    """Answers each request with the next canned response and keeps what was sent."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.status = status
        self.body = body if body is not None else {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.last.content)


@asynccontextmanager
async def recording_server(recorder: Recorder) -> AsyncIterator[str]:
    """A local HTTP server handing each request, as received, to `recorder`."""

    async def handle(request: web.BaseRequest) -> web.Response:
        captured = httpx.Request(
            request.method,
            PC + request.raw_path,  # path and query exactly as they came over the socket
            headers=[(name.decode(), value.decode()) for name, value in request.raw_headers],
            content=await request.read(),
        )
        answer = recorder(captured)
        return web.Response(
            status=answer.status_code,
            body=answer.content,
            content_type=answer.headers["Content-Type"],
        )

    runner = web.ServerRunner(web.Server(handle))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture(params=["aiohttp", "httpx"])
async def recorder_client(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[Recorder, PartnerCenterClient]]:
    recorder = Recorder()
    tokens = StaticTokenProvider(
        {TokenKind.APP_ONLY: SecretStr("app-token"), TokenKind.APP_USER: SecretStr("user-token")}
    )
    if request.param == "aiohttp":  # the production wire, over a real socket
        async with recording_server(recorder) as base_url:
            settings = PartnerCenterSettings(base_url=base_url, rate_limit_per_minute=0)
            async with PartnerCenterClient(settings, token_provider=tokens) as client:
                yield recorder, client
        return
    settings = PartnerCenterSettings(base_url=PC, rate_limit_per_minute=0)
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with http, PartnerCenterClient(settings, http=http, token_provider=tokens) as client:
        yield recorder, client


def assert_documented_headers(request: httpx.Request, names: list[str], request_id: str) -> None:
    for name in names:
        assert request.headers.get(name), f"missing {name}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"].startswith("Bearer ")
    assert request.headers["MS-RequestId"] == request_id
    # A GUID of the call's own, not the caller's id ("The value should be reset for every call").
    assert uuid.UUID(request.headers["MS-CorrelationId"])
    assert request.headers["MS-CorrelationId"] != "corr-1"


@pytest.mark.integration  # a real server on loopback
async def test_create_cart_sends_microsofts_sample_body(
    recorder_client: tuple[Recorder, PartnerCenterClient],
) -> None:
    recorder, client = recorder_client
    doc = sample("create-a-cart")
    recorder.status, recorder.body = 201, doc["response"]
    customer_id = doc["path"].split("/")[3]
    cart = Cart(
        partner_on_record_attestation_accepted=True,
        line_items=[
            CartLineItem(
                id=0,
                catalog_item_id="CFQ7TTC0LH0Z:0001:CFQ7TTC0K18P",
                quantity=1,
                billing_cycle="monthly",
                term_duration="P1M",
                provisioning_context={},
            ),
            CartLineItem(
                id=1,
                catalog_item_id="CFQ7TTC0LFLS:0002:CFQ7TTC0KDLJ",
                quantity=2,
                billing_cycle="monthly",
                term_duration="P1Y",
                participants=[
                    CartLineItemParticipant(key="transaction_reseller", value="5357564"),
                    CartLineItemParticipant(key="additional_transaction_reseller", value="517285"),
                    CartLineItemParticipant(key="additional_transaction_reseller", value="5357563"),
                ],
            ),
        ],
    )
    created = await client.create_cart(
        customer_id, cart, correlation_id="corr-1", request_id="req-cart"
    )
    request = recorder.last
    assert (request.method, request.url.path) == (doc["method"], doc["path"])
    assert_documented_headers(request, doc["headers"], "req-cart")
    assert recorder.last_json() == drop_nulls(doc["request"])
    # httpx's `json=` encoding, which every earlier version of the client sent: compact UTF-8.
    assert request.headers["Content-Type"] == "application/json"
    compact = json.dumps(recorder.last_json(), ensure_ascii=False, separators=(",", ":"))
    assert request.content == compact.encode()
    # The answer, read back.
    assert created.id == doc["response"]["id"]
    assert created.status == "Active"
    assert not created.is_ordered
    assert created.expiration_timestamp == datetime(2021, 8, 25, 17, 30, 11, 240641, tzinfo=UTC)
    assert [line.order_group for line in created.line_items] == ["0", "0"]
    assert created.line_items[1].participants is not None
    assert created.line_items[1].participants[0].value == "5357564"


def test_cart_accepts_the_resource_tables_timestamp_spelling() -> None:
    cart = Cart.model_validate({"id": "c", "expirationTimeStamp": "2026-12-02T10:00:00Z"})
    assert cart.expiration_timestamp == datetime(2026, 12, 2, 10, tzinfo=UTC)


@pytest.mark.integration  # a real server on loopback
async def test_create_customer_sends_the_sample_body(
    recorder_client: tuple[Recorder, PartnerCenterClient],
) -> None:
    recorder, client = recorder_client
    doc = sample("create-a-customer")
    recorder.status = 201
    recorder.body = {
        "id": "new-tenant",
        "companyProfile": {"domain": "xyz.ccsctp.net"},
        "userCredentials": {"userName": "admin", "password": "One-Time-P@ss"},
    }
    customer = Customer(
        company_profile=CompanyProfile(domain="xyz.ccsctp.net"),
        billing_profile=BillingProfile(
            culture="EN-US",
            email="test@outlook.com",
            language="en",
            company_name="test company",
            default_address=Address(
                first_name="Test",
                last_name="Test",
                address_line1="One Microsoft Way",
                city="Redmond",
                state="WA",
                postal_code="98052",
                country="US",
            ),
        ),
    )
    created = await client.create_customer(customer, correlation_id="corr-1", request_id="req-c")
    request = recorder.last
    assert (request.method, request.url.path) == (doc["method"], doc["path"])
    assert_documented_headers(request, doc["headers"], "req-c")
    # Partner Center reads keys case-insensitively; the sample uses PascalCase, we send camelCase.
    assert lower_keys(recorder.last_json()) == lower_keys(doc["request"])
    assert created.id == "new-tenant"
    assert created.user_credentials is not None
    assert "One-Time-P@ss" not in repr(created)


@pytest.mark.integration  # a real server on loopback
async def test_attest_mca_sends_the_sample_fields(
    recorder_client: tuple[Recorder, PartnerCenterClient],
) -> None:
    recorder, client = recorder_client
    doc = sample("confirm-customer-acceptance-of-microsoft-customer-agreement")
    recorder.status, recorder.body = 201, {**doc["request"], "userId": "u-1"}
    customer_id = doc["path"].split("/")[3]
    expected = doc["request"]
    contact = Contact.model_validate(expected["primaryContact"])
    agreement = await client.attest_mca(
        customer_id,
        contact=contact,
        template_id=expected["templateId"],
        date_agreed=datetime(2018, 6, 14, tzinfo=UTC),
        correlation_id="corr-1",
    )
    request = recorder.last
    assert (request.method, request.url.path) == (doc["method"], doc["path"])
    sent = recorder.last_json()
    for key in ("primaryContact", "templateId", "type"):
        assert sent[key] == expected[key], key
    parsed = datetime.fromisoformat(sent["dateAgreed"].replace("Z", "+00:00"))
    assert parsed == datetime.fromisoformat(expected["dateAgreed"].replace("Z", "+00:00"))
    assert sent["agreementLink"] == "https://aka.ms/customeragreement"
    assert agreement.template_id == expected["templateId"]


@pytest.mark.integration  # a real server on loopback
async def test_customer_filter_is_encoded_like_the_sample(
    recorder_client: tuple[Recorder, PartnerCenterClient],
) -> None:
    recorder, client = recorder_client
    doc = sample("get-customers-of-an-indirect-reseller")
    recorder.body = doc["response"]
    found = await client.find_customers_by_domain(
        "FourthCoffee137.onmicrosoft.com", correlation_id="corr-1"
    )
    request = recorder.last
    assert request.url.path == doc["path"]
    # Same encoding as Microsoft's sample, with the Domain field instead of IndirectReseller.
    expected_filter = (
        doc["encoded_url"]
        .split("filter=")[1]
        .replace("IndirectReseller", "Domain")
        .replace("484e548c-f5f3-4528-93a9-c16c6373cb59", "fourthcoffee137.onmicrosoft.com")
    )
    assert request.url.query.decode().split("filter=")[1] == expected_filter
    assert request.headers["Authorization"] == "Bearer user-token"  # App+User only
    # Of the prefix matches only the exact domain is returned, case-insensitively.
    assert [c.id for c in found] == ["53eb21cb-6b2d-4ee5-9e92-27dfc927e93c"]


@pytest.mark.integration  # a real server on loopback
async def test_checkout_result_sample_is_read_completely(
    recorder_client: tuple[Recorder, PartnerCenterClient],
) -> None:
    recorder, client = recorder_client
    doc = sample("checkout-a-cart")
    recorder.body = doc["response"]
    _, _, _, customer_id, _, cart_id, _ = doc["path"].split("/")
    result = await client.checkout_cart(
        customer_id, cart_id, correlation_id="corr-1", request_id="req-co"
    )
    request = recorder.last
    assert (request.method, request.url.path) == (doc["method"], doc["path"])
    assert_documented_headers(request, doc["headers"], "req-co")
    assert request.content == b""  # the checkout has no body
    assert result.order_errors == []
    (order,) = result.orders
    assert (order.id, order.status, order.reference_customer_id) == (
        "f76c6b7f449d",
        "pending",
        customer_id,
    )
    assert [line.subscription_id for line in order.line_items] == [
        "ebc0beef-7ffb-4044-c074-16f324432139",
        "261bac40-7d88-4327-dfa3-dacd09222d62",
    ]
    assert order.line_items[1].partner_id_on_record == "517285"
    assert order.line_items[1].additional_partner_ids_on_record == ["5357564", "5357563"]
    assert order.links is not None
    assert order.links["provisioningStatus"].uri.endswith("/provisioningstatus")


@pytest.mark.integration  # a real server on loopback
async def test_validate_resellers_sends_and_reads_the_sample(
    recorder_client: tuple[Recorder, PartnerCenterClient],
) -> None:
    recorder, client = recorder_client
    doc = sample("validate-reseller-partner-of-record")
    recorder.body = doc["response"]
    valid, invalid = await client.validate_resellers(
        doc["request"]["partnerIds"], correlation_id="corr-1"
    )
    request = recorder.last
    assert (request.method, request.url.path) == (doc["method"], doc["path"])
    assert json.loads(request.content) == doc["request"]
    assert (valid.partner_id, valid.is_valid_partner_id_on_record) == ("12345", True)
    assert (invalid.partner_id, invalid.is_valid_partner_id_on_record) == ("234567", False)
    assert invalid.error_code == 900400
    assert invalid.error_description


def test_cart_expiry_follows_its_expiration_timestamp() -> None:
    doc = sample("create-a-cart")
    cart = Cart.model_validate(doc["response"])
    assert not cart.is_expired(datetime(2021, 8, 25, 17, 30, tzinfo=UTC))
    assert cart.is_expired(datetime(2021, 8, 25, 17, 31, tzinfo=UTC))
    ordered = cart.model_copy(update={"status": "Ordered"})
    assert not ordered.is_expired(datetime(2030, 1, 1, tzinfo=UTC))


async def test_a_refused_token_is_refreshed_once_and_the_call_repeated() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            calls.append("token")
            return httpx.Response(
                200, json={"access_token": f"t{len(calls)}", "expires_in": "3600"}
            )
        calls.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(401, json={"code": 401, "description": "token revoked"})
        return httpx.Response(200, json={"id": "c-1"})

    settings = PartnerCenterSettings(
        base_url=PC, authority_url="https://login.example", rate_limit_per_minute=0
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with http, PartnerCenterClient(settings, http=http) as client:
        customer = await client.get_customer("c-1", correlation_id="corr-1")
    assert customer.id == "c-1"
    assert calls == ["token", "Bearer t1", "token", "Bearer t3"]
