"""Every order status of "Order resources" (`OrderStatus`), set through the control API: what
an order reads in each (`status`, and which lines carry their `subscriptionId`)."""

from __future__ import annotations

from typing import Any

import pytest

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _two_line_order(sim: Sim) -> tuple[str, str]:
    cid = sim.customer_id(CONTOSO)
    body = sim.cart_body()
    second = sim.cart_body(product_id="CFQ7TTC0LH18")["lineItems"][0] | {"id": 1}
    body["lineItems"].append(second)
    cart = sim.pc("POST", f"/v1/customers/{cid}/carts", json=body)
    assert cart.status_code == 201, cart.text
    result = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart.json()['id']}/checkout").json()
    (order,) = result["orders"]
    return cid, order["id"]


def _read(sim: Sim, cid: str, order_id: str) -> dict[str, Any]:
    response = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("status", "provisioned"),
    [
        ("error", [False, False]),
        ("cancelled", [False, False]),
        ("partial success", [True, False]),
        ("pending review", [False, False]),
        ("suspended", [False, False]),
        ("po_upload_complete", [False, False]),
        ("completed", [True, True]),
    ],
)
def test_an_order_reads_the_status_it_was_given(
    sim: Sim, status: str, provisioned: list[bool]
) -> None:
    cid, order_id = _two_line_order(sim)
    assert _read(sim, cid, order_id)["status"] == "pending"
    response = sim.http.post(f"/_sim/orders/{order_id}/status", json={"status": status})
    assert response.status_code == 200, response.text
    order = _read(sim, cid, order_id)
    assert order["status"] == status
    assert ["subscriptionId" in line for line in order["lineItems"]] == provisioned
    path = f"/v1/customers/{cid}/orders/{order_id}/provisioningstatus"
    lines = sim.pc("GET", path).json()["items"]
    assert [line["status"] == "fulfilled" for line in lines] == provisioned


def test_an_unknown_status_is_refused(sim: Sim) -> None:
    _, order_id = _two_line_order(sim)
    response = sim.http.post(f"/_sim/orders/{order_id}/status", json={"status": "shipped"})
    assert response.status_code == 400
    assert "status" in response.text
