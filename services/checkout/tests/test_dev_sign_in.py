"""Checkout's dev-only sign-in routes: the directory and dev tokens, in dev mode alone."""

from __future__ import annotations

import httpx
import pytest

from nceflow.checkout.app import create_app
from nceflow.checkout.auth import TokenVerifier
from nceflow.checkout.settings import Settings


def client_of(settings: Settings) -> httpx.AsyncClient:
    # The dev routes read nothing the lifespan builds: no Redis, no broker needed.
    app = create_app(settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://checkout")


async def test_dev_mode_lists_the_directory_and_signs_tokens_checkout_accepts() -> None:
    settings = Settings(relay_enabled=False, consumer_enabled=False)
    async with client_of(settings) as client:
        resellers = (await client.get("/v1/dev/resellers")).json()
        signed = await client.post(
            "/v1/dev/tokens", json={"account_id": "fabrikam", "reseller_id": "tailspin-indirect"}
        )
        schema = (await client.get("/openapi.json")).json()

    assert {"id": "adatum-direct", "name": "Adatum Cloud Solutions", "sales_model": "direct"} in (
        resellers
    )
    assert signed.status_code == 201
    body = signed.json()
    assert body["token_type"] == "Bearer"
    assert body["reseller_name"] == "Tailspin IT Services"
    assert body["expires_in"] == int(settings.dev_token_lifetime.total_seconds())
    customer = await TokenVerifier(settings).verify(body["access_token"])
    assert (customer.account_id, customer.reseller_id) == ("fabrikam", "tailspin-indirect")
    assert not [path for path in schema["paths"] if path.startswith("/v1/dev")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account_id": "fabrikam", "reseller_id": "no-such-reseller"}, "reseller_id"),
        ({"account_id": "not an id!", "reseller_id": "adatum-direct"}, "account_id"),
    ],
)
async def test_a_choice_checkout_would_refuse_is_a_422_naming_the_field(
    body: dict[str, str], field: str
) -> None:
    async with client_of(Settings(relay_enabled=False, consumer_enabled=False)) as client:
        refused = await client.post("/v1/dev/tokens", json=body)

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in refused.json()["errors"]] == [field]


async def test_without_a_dev_signing_key_there_are_no_dev_routes() -> None:
    settings = Settings(
        jwt_dev_secret=None,
        jwt_jwks_url="https://127.0.0.1:9/.well-known/jwks.json",
        relay_enabled=False,
        consumer_enabled=False,
    )
    async with client_of(settings) as client:
        listed = await client.get("/v1/dev/resellers")
        signed = await client.post(
            "/v1/dev/tokens", json={"account_id": "fabrikam", "reseller_id": "adatum-direct"}
        )

    assert (listed.status_code, signed.status_code) == (404, 404)
