"""The inspectable request log."""

from __future__ import annotations

import uuid

from nceflow.testing.simulator import Sim


def test_log_records_ids_status_and_partner_and_filters(sim: Sim) -> None:
    request_id = str(uuid.uuid4())
    correlation_id = str(uuid.uuid4())
    headers = sim.headers(request_id=request_id, correlation_id=correlation_id)
    assert sim.http.get("/v1/customers", headers=headers).status_code == 200
    sim.http.get("/v1/customers", headers=headers)  # a retry reuses the MS-RequestId
    sim.pc("HEAD", "/v1/domains/contoso.onmicrosoft.com")
    entries = sim.http.get("/_sim/requests", params={"requestId": request_id}).json()["items"]
    assert len(entries) == 2
    first = entries[0]
    assert first["method"] == "GET"
    assert first["path"] == "/v1/customers"
    assert first["ms_correlation_id"] == correlation_id
    assert first["status"] == 200
    assert first["delivered"] is True
    assert first["partner"] == sim.partner().tenant_id
    assert entries[1]["seq"] > first["seq"]
    by_correlation = sim.http.get("/_sim/requests", params={"correlationId": correlation_id})
    assert len(by_correlation.json()["items"]) == 2
    heads = sim.http.get("/_sim/requests", params={"method": "head", "path": "/v1/domains/*"})
    assert [e["status"] for e in heads.json()["items"]] == [200]


def test_failed_requests_and_token_calls_are_logged_but_sim_calls_are_not(sim: Sim) -> None:
    sim.token()
    sim.http.get("/v1/customers")
    sim.http.get("/_sim/faults")
    entries = sim.http.get("/_sim/requests").json()["items"]
    assert [(e["path"].endswith("/oauth2/token"), e["status"]) for e in entries] == [
        (True, 200),
        (False, 401),
    ]
    assert sim.http.get("/_sim/requests", params={"status": 401}).json()["items"][0]["path"] == (
        "/v1/customers"
    )


def test_clearing_the_log(sim: Sim) -> None:
    sim.pc("GET", "/v1/customers")
    assert sim.http.delete("/_sim/requests").status_code == 204
    assert sim.http.get("/_sim/requests").json()["items"] == []
