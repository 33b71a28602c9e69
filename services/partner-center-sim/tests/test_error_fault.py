"""The `error` fault: a documented business refusal in Microsoft's error shape, with no effect.

Microsoft documents 600061 ("A partner confirmed agreement already exists for the customer.") as
its answer to an MCA attestation it does not accept ("Confirm customer acceptance of the
Microsoft Customer Agreement using Partner Center APIs"); the page gives no HTTP status, 400 is
used here.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from nceflow.testing.simulator import Sim

AGREEMENTS = "/v1/customers/*/agreements"
REFUSED = "A partner confirmed agreement already exists for the customer."
MCA = "MicrosoftCustomerAgreement"


def _fault(sim: Sim, **rule: Any) -> dict[str, Any]:
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _attest(sim: Sim, customer_id: str, request_id: str | None = None) -> Any:
    body = {
        "primaryContact": {
            "firstName": "Grace",
            "lastName": "Hopper",
            "email": "g@fabrikam.example",
        },
        "templateId": sim.seed.mca_template_id,
        "dateAgreed": "2026-11-25T00:00:00Z",
        "type": MCA,
    }
    return sim.pc(
        "POST", f"/v1/customers/{customer_id}/agreements", request_id=request_id, json=body
    )


def _mca_accepted(sim: Sim, customer_id: str) -> bool:
    customers = sim.http.get("/_sim/customers").json()["items"]
    accepted: bool = next(c for c in customers if c["id"] == customer_id)["mcaAccepted"]
    return accepted


def test_refuses_matching_requests_in_microsofts_shape_and_changes_nothing(sim: Sim) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    rule = _fault(
        sim, kind="error", method="POST", path=AGREEMENTS, count=1, code=600061, description=REFUSED
    )
    assert (rule["kind"], rule["status"], rule["code"]) == ("error", 400, 600061)

    request_id = "6f1b5c52-9d2e-4a57-b6a4-3f4b1f0e2a10"
    refused = _attest(sim, fabrikam, request_id)
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.headers["MS-RequestId"] == request_id
    assert refused.json() == {
        "code": 600061,
        "description": REFUSED,
        "data": [],
        "source": "PartnerFD",
    }
    assert _mca_accepted(sim, fabrikam) is False  # refused before the handler: no effect

    # The rule is used up. The refusal was an answer: the same MS-RequestId gets it again
    # ("Partner Center REST headers": reset the id after a business failure); a new id is served.
    again = _attest(sim, fabrikam, request_id)
    assert (again.status_code, again.json()["code"]) == (400, 600061)
    assert _mca_accepted(sim, fabrikam) is False
    assert _attest(sim, fabrikam, str(uuid.uuid4())).status_code == 201
    assert _mca_accepted(sim, fabrikam) is True
    (logged, replayed, served) = sim.http.get(
        "/_sim/requests", params={"method": "POST", "path": AGREEMENTS}
    ).json()["items"]
    assert (logged["status"], logged["fault"]) == (400, "error")
    assert (replayed["status"], replayed["fault"]) == (400, None)
    assert (served["status"], served["fault"]) == (201, None)
    (listed,) = sim.http.get("/_sim/faults").json()["items"]
    assert (listed["hits"], listed["remaining"]) == (1, 0)


def test_only_matching_method_and_path_are_refused(sim: Sim) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    _fault(
        sim,
        kind="error",
        method="POST",
        path=AGREEMENTS,
        status=403,
        code=600061,
        description=REFUSED,
    )
    listed = sim.pc("GET", f"/v1/customers/{fabrikam}/agreements", params={"agreementType": MCA})
    assert listed.status_code == 200
    assert sim.pc("GET", "/v1/customers").status_code == 200
    for _ in range(3):  # without a count the rule keeps refusing
        refused = _attest(sim, fabrikam)
        assert refused.status_code == 403
        assert refused.json()["code"] == 600061


def test_probability_applies_like_the_other_kinds(sim: Sim) -> None:
    fabrikam = sim.customer_id("fabrikam.onmicrosoft.com")
    _fault(
        sim,
        kind="error",
        pathRegex=r"/v1/customers/[^/]+/agreements",
        method="GET",
        probability=0.5,
        code=600061,
        description=REFUSED,
    )
    statuses = [
        sim.pc("GET", f"/v1/customers/{fabrikam}/agreements").status_code for _ in range(30)
    ]
    assert set(statuses) == {200, 400}
    assert 5 < statuses.count(400) < 25


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "error", "path": AGREEMENTS},  # which refusal?
        {"kind": "error", "path": AGREEMENTS, "code": 600061},
        {"kind": "error", "path": AGREEMENTS, "description": REFUSED},
        {"kind": "error", "path": AGREEMENTS, "code": 1, "description": REFUSED, "status": 200},
        {"kind": "error", "path": AGREEMENTS, "code": 1, "description": REFUSED, "status": 600},
        {"kind": "error", "path": AGREEMENTS, "code": 1, "description": ""},
    ],
)
def test_incomplete_error_rules_are_400(sim: Sim, rule: dict[str, Any]) -> None:
    response = sim.http.post("/_sim/faults", json=rule)
    assert response.status_code == 400, response.text
    assert sim.http.get("/_sim/faults").json()["items"] == []
