"""Bad input and failing dependencies give problem+json 4xx/503, never a 5xx from our code."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from nceflow.checkout.api.http import parse_if_match
from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.domain.steps import StepId
from nceflow.checkout.settings import Settings
from nceflow.devstack.processes import free_port
from nceflow.runtime.settings import RedisSettings

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
PROBLEM = "application/problem+json"


async def test_requests_without_a_valid_token_are_401(client: Any) -> None:
    response = await client.post("/v1/drafts")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    garbage = await client.get("/v1/orders", headers={"Authorization": "Bearer not.a.jwt"})
    assert garbage.status_code == 401


async def test_a_reseller_missing_from_the_directory_is_403(
    client: Any, settings: Settings
) -> None:
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'nobody', settings)}"}
    response = await client.post("/v1/drafts", headers=headers)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:nceflow:problem:unknown-reseller"


async def test_oversized_malformed_and_unknown_requests_are_4xx_problems(
    customer: Any,
) -> None:
    buyer = customer()
    draft = await buyer.start([{"plan_id": BASIC, "quantity": 1}])
    url = f"/v1/drafts/{draft['id']}/steps/account"
    huge = await buyer.client.put(url, content=b"{" + b" " * 100_000 + b"}", headers=buyer.headers)
    assert huge.status_code == 413
    assert huge.headers["content-type"] == PROBLEM

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b"{"
        for _ in range(20):
            yield b" " * 10_000
        yield b"}"

    chunked = await buyer.client.put(
        url, content=streamed(), headers={**buyer.headers, "Content-Type": "application/json"}
    )
    assert chunked.status_code == 413, chunked.text
    assert chunked.headers["content-type"] == PROBLEM
    broken = await buyer.client.put(
        url, content=b'{"kind": ', headers={**buyer.headers, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    extra = await buyer.put(draft["id"], "account", {"kind": "new", "admin": True})
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"] == "admin"
    unknown_step = await buyer.client.put(
        f"/v1/drafts/{draft['id']}/steps/payment", json={}, headers=buyer.headers
    )
    assert unknown_step.status_code == 404
    assert unknown_step.headers["content-type"] == PROBLEM
    odd_if_match = await buyer.put(draft["id"], "account", {"kind": "new"}, if_match='W/"abc"')
    assert odd_if_match.status_code == 412
    no_key = await buyer.client.post(
        f"/v1/drafts/{draft['id']}/confirm", json={"terms_accepted": True}, headers=buyer.headers
    )
    assert no_key.status_code == 422
    assert no_key.json()["errors"][0]["field"] == "header.Idempotency-Key"
    bad_id = await buyer.client.get("/v1/drafts/..%2F..%2Fetc", headers=buyer.headers)
    assert bad_id.status_code in {404, 422}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


@pytest.mark.parametrize("how", ["refused", "hung"])
async def test_redis_down_is_503_with_retry_after_not_a_hang(
    settings: Settings, run_app: Any, silent_port: int, how: str
) -> None:
    port = free_port() if how == "refused" else silent_port
    down = settings.model_copy(
        update={
            "redis": RedisSettings(url=f"redis://127.0.0.1:{port}/0", key_prefix="x"),
            "redis_socket_timeout_seconds": 0.5,
            "relay_enabled": False,
        }
    )
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', down)}"}
    async with run_app(create_app(down)) as client:
        started = time.monotonic()
        response = await client.post("/v1/drafts", headers=headers)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM
        assert int(response.headers["Retry-After"]) > 0
        assert elapsed < 5
        ready = await client.get("/readyz")
        assert ready.status_code == 503


# ------------------------------------------------------------------ property-based: never a 5xx

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_near_valid = st.fixed_dictionaries(
    {},
    optional={
        "items": st.lists(
            st.fixed_dictionaries(
                {"plan_id": st.sampled_from([BASIC, "x", "", "A" * 200]) | st.text(max_size=20)},
                optional={"quantity": st.integers() | st.text(max_size=5)},
            ),
            max_size=25,
        ),
        "kind": st.sampled_from(["new", "existing", "NEW", ""]) | _json,
        "primary_domain": st.text(max_size=300),
        "domain_prefix": st.text(max_size=40),
        "accepted": st.sampled_from(["yes", "no", True]) | _json,
        "qualification": st.sampled_from(["none", "state_owned_entity"]) | _json,
        "terms_accepted": _json,
        "authorization_done": _json,
        "attestation_accepted": _json,
    },
)
_header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)


@pytest.fixture
def sync_client(settings: Settings, reset_sim: None) -> Iterator[TestClient]:
    # Each generated example starts drafts for the same account: no open-draft cap here.
    quiet = settings.model_copy(
        update={"relay_enabled": False, "max_open_drafts_per_account": 1_000_000}
    )
    with TestClient(create_app(quiet), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = (
            f"Bearer {mint_dev_token('fuzz', 'tailspin-indirect', quiet)}"
        )
        yield client


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    step=st.sampled_from([s.value for s in StepId] + ["nope"]),
    body=_near_valid | _json,
    if_match=st.none() | _header_text,
    key=st.none() | _header_text,
)
def test_no_input_makes_a_5xx(
    sync_client: TestClient, step: str, body: Any, if_match: str | None, key: str | None
) -> None:
    created = sync_client.post("/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 1}]})
    assert created.status_code == 201
    draft_id = created.json()["id"]
    headers = {} if if_match is None else {"If-Match": if_match}
    saved = sync_client.put(f"/v1/drafts/{draft_id}/steps/{step}", json=body, headers=headers)
    assert saved.status_code < 500, saved.text
    if saved.status_code >= 400:
        assert saved.headers["content-type"] == PROBLEM
    confirm_headers = {} if key is None else {"Idempotency-Key": key}
    bought = sync_client.post(f"/v1/drafts/{draft_id}/confirm", json=body, headers=confirm_headers)
    assert bought.status_code < 500, bought.text
    started = sync_client.post("/v1/drafts", json=body)
    assert started.status_code < 500, started.text


@pytest.mark.parametrize("version", ["\u00b2", "\u0661", "1\u00b2", "\uff11"])
def test_an_if_match_of_non_ascii_digits_is_stale_not_a_5xx(
    sync_client: TestClient, version: str
) -> None:
    """Header values arrive as latin-1: "²" (0xB2) passes `str.isdigit` but not `int`."""
    assert parse_if_match(f'"{version}"') == -1
    created = sync_client.post("/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 1}]})
    draft_id = created.json()["id"]
    raw = version.encode("latin-1", errors="ignore") or b"\xb2"
    saved = sync_client.put(
        f"/v1/drafts/{draft_id}/steps/account",
        json={"kind": "new"},
        headers={"If-Match": b'"' + raw + b'"'},
    )
    assert saved.status_code == 412, saved.text
    assert saved.headers["content-type"] == PROBLEM


async def test_a_stopped_outbox_relay_makes_the_replica_unready(
    settings: Settings, run_app: Any
) -> None:
    app = create_app(settings)
    async with run_app(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        relay = app.state.context.relay
        assert relay is not None
        assert relay.is_alive()
        assert await asyncio.to_thread(relay.stop, 5.0)
        unready = await client.get("/readyz")
        assert unready.status_code == 503
        assert "outbox relay" in unready.json()["failures"]["outbox_relay"]
