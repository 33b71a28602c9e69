"""Bearer tokens: claims checked, algorithm pinned, JWKS in production, dev key only in dev."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from nceflow.checkout.auth import AuthenticationError, TokenVerifier, mint_dev_token
from nceflow.checkout.settings import DEV_JWT_SECRET, Settings

SETTINGS = Settings()


def claims(**override: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "sub": "acme",
        "reseller": "adatum-direct",
        "exp": now + timedelta(minutes=5),
    }
    base.update(override)
    return {key: value for key, value in base.items() if value is not None}


async def test_a_dev_token_names_the_account_and_the_reseller() -> None:
    customer = await TokenVerifier(SETTINGS).verify(
        mint_dev_token("acme", "adatum-direct", SETTINGS)
    )
    assert customer.account_id == "acme"
    assert customer.reseller_id == "adatum-direct"


@pytest.mark.parametrize(
    "bad",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"exp": datetime.now(UTC) - timedelta(minutes=5)},
        {"exp": None},
        {"reseller": None},
        {"sub": "has space"},
        {"sub": "x" * 200},
    ],
)
async def test_tokens_with_bad_claims_are_refused(bad: dict[str, Any]) -> None:
    token = jwt.encode(claims(**bad), DEV_JWT_SECRET, algorithm="HS256")
    with pytest.raises(AuthenticationError):
        await TokenVerifier(SETTINGS).verify(token)


async def test_unsigned_and_wrongly_signed_tokens_are_refused() -> None:
    unsigned = jwt.encode(claims(), key="", algorithm="none")
    with pytest.raises(AuthenticationError):
        await TokenVerifier(SETTINGS).verify(unsigned)
    forged = jwt.encode(claims(), "another-key-of-sufficient-length-123456", algorithm="HS256")
    with pytest.raises(AuthenticationError):
        await TokenVerifier(SETTINGS).verify(forged)


@pytest.fixture(scope="module")
def jwks() -> Iterator[tuple[str, Any]]:
    """A JWKS endpoint on a free loopback port serving one RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.integration  # a real server on loopback
async def test_production_verifies_with_the_jwks_and_refuses_dev_tokens(
    jwks: tuple[str, Any],
) -> None:
    url, key = jwks
    production = Settings(jwt_jwks_url=url)
    verifier = TokenVerifier(production)
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert (await verifier.verify(token)).account_id == "acme"
    with pytest.raises(AuthenticationError):
        await verifier.verify(mint_dev_token("acme", "adatum-direct", production))
    with pytest.raises(AuthenticationError):
        # The right key with another algorithm than the pinned one.
        await verifier.verify(jwt.encode(claims(), key, algorithm="RS512", headers={"kid": "k1"}))


class RotatingJwks:
    """A JWKS endpoint on a free loopback port whose key set the test replaces."""

    def __init__(self) -> None:
        self.body = b'{"keys": []}'
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"

    def serve(self, **keys: Any) -> None:
        """Publish these private keys' public halves, by kid."""
        published = [
            {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": kid, "alg": "RS256"}
            for kid, key in keys.items()
        ]
        self.body = json.dumps({"keys": published}).encode()


@pytest.fixture
def rotating_jwks() -> Iterator[RotatingJwks]:
    jwks = RotatingJwks()
    thread = threading.Thread(target=jwks.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield jwks
    finally:
        jwks.server.shutdown()
        thread.join()


@pytest.mark.integration  # a real server on loopback
async def test_a_key_removed_from_the_jwks_stops_opening_the_api(
    rotating_jwks: RotatingJwks,
) -> None:
    old, new = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")
    rotating_jwks.serve(k1=old)
    verifier = TokenVerifier(Settings(jwt_jwks_url=rotating_jwks.url, jwt_jwks_cache_seconds=0.5))
    old_token = jwt.encode(claims(), old, algorithm="RS256", headers={"kid": "k1"})
    assert (await verifier.verify(old_token)).account_id == "acme"

    rotating_jwks.serve(k2=new)  # the platform revokes k1 and signs with k2 from now on
    deadline = time.monotonic() + 10
    while True:
        try:
            await verifier.verify(old_token)
        except AuthenticationError:
            break
        assert time.monotonic() < deadline, "a revoked key's token is still accepted"
        await asyncio.sleep(0.1)
    new_token = jwt.encode(claims(sub="globex"), new, algorithm="RS256", headers={"kid": "k2"})
    assert (await verifier.verify(new_token)).account_id == "globex"
    # The JWK set is read again once its cache lifetime is over, not on every request.
    assert rotating_jwks.fetches < 40
