"""`MS-RequestId` is Partner Center's idempotency key: the same id gets the same answer, refusals
included ("Partner Center REST headers"); what is not an answer (401, 429, 5xx) is not kept."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _carts(sim: Sim) -> str:
    return f"/v1/customers/{sim.customer_id(CONTOSO)}/carts"


def test_a_refusal_is_replayed_to_the_same_request_id(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    unattested = sim.cart_body(attestation=None)
    first = sim.pc("POST", _carts(sim), request_id=request_id, json=unattested)
    assert (first.status_code, first.json()["code"]) == (400, 900206)
    # The same id with the mistake fixed: Microsoft answers what it answered the first time.
    again = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    assert again.status_code == 400
    assert again.json() == first.json()
    assert again.headers["MS-RequestId"] == request_id
    # A new id is a new call.
    fresh = sim.pc("POST", _carts(sim), json=sim.cart_body())
    assert fresh.status_code == 201


def test_a_success_is_replayed_and_creates_nothing_more(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    first = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    again = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    carts = sim.http.get(f"/_sim/customers/{sim.customer_id(CONTOSO)}/carts").json()["items"]
    assert len(carts) == 1


def test_server_errors_and_throttling_are_not_answers(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    for kind in ("500", "429"):
        rule = {"kind": kind, "method": "POST", "path": "/v1/customers/*/carts", "count": 1}
        assert sim.http.post("/_sim/faults", json=rule).status_code == 201
        failed = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
        assert failed.status_code == int(kind)
    served = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    assert served.status_code == 201


def test_an_unauthenticated_request_is_heard_again_with_a_token(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    headers = {"Authorization": "Bearer expired", "MS-RequestId": request_id}
    refused = sim.http.post(_carts(sim), headers=headers, json=sim.cart_body())
    assert refused.status_code == 401
    served = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    assert served.status_code == 201


def test_a_lost_response_is_replayed_to_the_timeout_retry(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    rule = {
        "kind": "lost_response",
        "method": "POST",
        "path": "/v1/customers/*/carts",
        "count": 1,
        "hangSeconds": 0,
    }
    assert sim.http.post("/_sim/faults", json=rule).status_code == 201
    with pytest.raises(httpx.TransportError):  # the connection is dropped without an answer
        sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    retry = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
    assert retry.status_code == 201
    carts = sim.http.get(f"/_sim/customers/{sim.customer_id(CONTOSO)}/carts").json()["items"]
    assert [c["id"] for c in carts] == [retry.json()["id"]]


def test_answers_are_kept_per_partner(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    refused = sim.pc(
        "POST", _carts(sim), request_id=request_id, json=sim.cart_body(attestation=None)
    )
    assert refused.status_code == 400
    reseller = sim.partner("indirect").resellers[0].mpn_id
    other = sim.pc(
        "POST",
        _carts(sim),
        "indirect",
        request_id=request_id,
        json=sim.cart_body(reseller_mpn=reseller),
    )
    assert other.status_code == 201


def test_answers_are_forgotten_after_the_memory_window(sim: Sim) -> None:
    patched = sim.http.patch("/_sim/config", json={"request_id_memory_seconds": 0.05})
    assert patched.status_code == 200, patched.text
    request_id = str(uuid.uuid4())
    refused = sim.pc(
        "POST", _carts(sim), request_id=request_id, json=sim.cart_body(attestation=None)
    )
    assert refused.status_code == 400
    deadline = time.monotonic() + 5
    while True:  # until the answer is older than the window (a bounded wait)
        again = sim.pc("POST", _carts(sim), request_id=request_id, json=sim.cart_body())
        if again.status_code == 201:
            break
        assert again.status_code == 400
        assert time.monotonic() < deadline
