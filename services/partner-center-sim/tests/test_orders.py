"""Orders move from pending to completed; line items then carry subscription ids."""

from __future__ import annotations

import time

from nceflow.testing.simulator import Sim

CONTOSO = "contoso.onmicrosoft.com"


def _place(sim: Sim) -> tuple[str, str]:
    cid = sim.customer_id(CONTOSO)
    cart_id = sim.place_cart()
    result = sim.pc("POST", f"/v1/customers/{cid}/carts/{cart_id}/checkout").json()
    order_id: str = result["orders"][0]["id"]
    return cid, order_id


def test_order_completes_on_sim_command_with_subscription_ids(sim: Sim) -> None:
    cid, order_id = _place(sim)
    pending = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}").json()
    assert pending["status"] == "pending"
    assert pending["attributes"] == {"objectType": "Order"}
    status = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}/provisioningstatus").json()
    assert [i["status"] for i in status["items"]] == ["pending"]
    assert sim.http.post(f"/_sim/orders/{order_id}/complete").status_code == 200
    done = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}").json()
    assert done["status"] == "completed"
    subscription = done["lineItems"][0]["subscriptionId"]
    status = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}/provisioningstatus").json()
    assert status["items"][0]["status"] == "fulfilled"
    assert status["items"][0]["subscriptionId"] == subscription


def test_order_completes_by_itself_after_the_configured_delay(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"order_completion_seconds": 0.3})
    cid, order_id = _place(sim)
    deadline = time.monotonic() + 5
    status = "pending"
    while status == "pending" and time.monotonic() < deadline:
        status = sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}").json()["status"]
        time.sleep(0.05)
    assert status == "completed"


def test_orders_list_and_unknown_order(sim: Sim) -> None:
    cid, order_id = _place(sim)
    listed = sim.pc("GET", f"/v1/customers/{cid}/orders").json()
    assert [o["id"] for o in listed["items"]] == [order_id]
    missing = sim.pc("GET", f"/v1/customers/{cid}/orders/000000000000")
    assert missing.status_code == 404
    assert missing.json()["code"] == 20000
    assert sim.http.post("/_sim/orders/000000000000/complete").status_code == 404
    assert [o["id"] for o in sim.http.get("/_sim/orders").json()["items"]] == [order_id]


def test_new_orders_reach_the_order_list_only_after_the_configured_delay(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"order_list_delay_seconds": 900})
    cid, order_id = _place(sim)
    assert sim.pc("GET", f"/v1/customers/{cid}/orders").json()["items"] == []
    # The order exists: reading it (or its cart) is the reliable way to know.
    assert sim.pc("GET", f"/v1/customers/{cid}/orders/{order_id}").status_code == 200
    sim.http.patch("/_sim/config", json={"order_list_delay_seconds": 0})
    assert [o["id"] for o in sim.pc("GET", f"/v1/customers/{cid}/orders").json()["items"]] == [
        order_id
    ]
