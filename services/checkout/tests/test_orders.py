"""The orders read model: fulfilment's events, consumed from Kafka, move an order's status."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings
from nceflow.schemas import FulfilmentStarted, OrderFailed, OrderGroupError, OrderPlaced
from nceflow.schemas.base import OrderEvent
from nceflow.schemas.envelope import FULFILMENT_SOURCE, to_kafka
from nceflow.schemas.values import ErrorSource

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@acme.example",
    "phone": "+1 425 555 0100",
}


async def _existing_order(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    draft = (
        await client.post(
            "/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 2}]}, headers=headers
        )
    ).json()
    url = f"/v1/drafts/{draft['id']}/steps"
    last: dict[str, Any] = {}
    for step, data in [
        ("account", {"kind": "existing"}),
        ("partner_relationship", {"authorization_done": "yes"}),
        ("tenant_domain", {"primary_domain": "contoso.onmicrosoft.com"}),
        ("mca", MCA),
        ("qualification", {"qualification": "none"}),
    ]:
        response = await client.put(f"{url}/{step}", json=data, headers=headers)
        assert response.status_code == 200, response.text
        last = response.json()
    bought = await client.post(
        f"/v1/drafts/{draft['id']}/confirm",
        json={"terms_accepted": True},
        headers={**headers, "Idempotency-Key": draft["id"]},
    )
    assert bought.status_code == 202
    return draft["id"], last


async def _status(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str
) -> dict[str, Any]:
    response = await client.get(f"/v1/orders/{order_id}", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def _wait_status(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: str, status: str
) -> dict[str, Any]:
    for _ in range(200):
        order = await _status(client, headers, order_id)
        if order["status"] == status:
            return order
        await asyncio.sleep(0.05)
    raise AssertionError(f"order never became {status}: {order}")


async def test_fulfilment_events_move_the_order_and_record_the_relationship(
    settings: Settings,
    reset_sim: None,
    run_app: Any,
    kafka_bootstrap: str,
    kafka_topics: Any,
    checkout_events: Any,
) -> None:
    live = settings.model_copy(update={"consumer_enabled": True})
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', live)}"}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()

    async def publish(event: OrderEvent, event_id: str) -> None:
        record = to_kafka(event, source=FULFILMENT_SOURCE, event_id=event_id)
        await producer.send_and_wait(
            kafka_topics.fulfilment_order_events,
            record.value,
            key=record.key,
            headers=record.headers,
        )

    try:
        async with run_app(create_app(live)) as client:
            order_id, _ = await _existing_order(client, headers)
            assert (await _status(client, headers, order_id))["status"] == "confirmed"
            correlation = "c-1"
            await publish(FulfilmentStarted(order_id=order_id, correlation_id=correlation), "e1")
            await _wait_status(client, headers, order_id, "processing")
            failed = OrderFailed(
                order_id=order_id,
                correlation_id=correlation,
                code="20002",
                code_source=ErrorSource.PARTNER_CENTER,
                reason="Accept the reseller relationship, then we retry.",
                action_url="https://admin.microsoft.com/x",
                retryable=True,
            )
            await publish(failed, "e2")
            order = await _wait_status(client, headers, order_id, "failed")
            assert order["failure"]["code"] == "20002"
            assert order["failure"]["retryable"] is True
            placed = OrderPlaced(
                order_id=order_id,
                correlation_id=correlation,
                customer_id="0cab9e0c-7015-4b96-9819-e59f32cd0700",
                order_ids=["pc-order-1"],
                # A partial checkout: one order group was refused, the rest ordered.
                order_errors=[
                    OrderGroupError(
                        order_group_id="1", code="800002", description="Quantity not allowed"
                    )
                ],
            )
            await publish(placed, "e3")
            # A redelivered failure (same event id) must not undo the placement.
            await publish(failed, "e2")
            order = await _wait_status(client, headers, order_id, "placed")
            assert order["partner_center"]["order_ids"] == ["pc-order-1"]
            assert order["partner_center"]["unordered"] == [
                {"order_group_id": "1", "code": "800002", "description": "Quantity not allowed"}
            ]
            await publish(FulfilmentStarted(order_id=order_id, correlation_id=correlation), "e4")
            marker = OrderPlaced(
                order_id=order_id,
                correlation_id=correlation,
                customer_id="0cab9e0c-7015-4b96-9819-e59f32cd0700",
                order_ids=["pc-order-1"],
                subscription_ids=["sub-1"],
            )
            await publish(marker, "e5")
            for _ in range(200):
                order = await _status(client, headers, order_id)
                if order["partner_center"]["subscription_ids"] == ["sub-1"]:
                    break
                await asyncio.sleep(0.05)
            assert order["status"] == "placed"
            assert order["failure"] is None
            # The later event (no errors of its own) keeps what the first one reported.
            assert order["partner_center"]["unordered"][0]["code"] == "800002"
            # The relationship is now on record: the next draft skips that step.
            draft = (
                await client.post(
                    "/v1/drafts",
                    json={"items": [{"plan_id": BASIC, "quantity": 1}]},
                    headers=headers,
                )
            ).json()
            saved = await client.put(
                f"/v1/drafts/{draft['id']}/steps/account",
                json={"kind": "existing"},
                headers=headers,
            )
            assert saved.json()["current_step"] == "tenant_domain"
            statuses = {s["id"]: s["status"] for s in saved.json()["steps"]}
            assert statuses["partner_relationship"] == "skipped"
            for step, data in [
                ("tenant_domain", {"primary_domain": "contoso.onmicrosoft.com"}),
                ("mca", MCA),
                ("qualification", {"qualification": "state_owned_entity"}),
            ]:
                response = await client.put(
                    f"/v1/drafts/{draft['id']}/steps/{step}", json=data, headers=headers
                )
                assert response.status_code == 200, response.text
            bought = await client.post(
                f"/v1/drafts/{draft['id']}/confirm",
                json={"terms_accepted": True},
                headers={**headers, "Idempotency-Key": "second"},
            )
            assert bought.status_code == 202
            await checkout_events.wait_for(lambda r: r.of_type("OrderConfirmed", draft["id"]))
            confirmed = checkout_events.of_type("OrderConfirmed", draft["id"])[0].data
            assert confirmed.tenant.relationship.status == "on_record"
            assert confirmed.qualification == "state_owned_entity"
            listed = await client.get("/v1/orders", headers=headers)
            assert [o["order_id"] for o in listed.json()["items"]] == [draft["id"], order_id]
    finally:
        await producer.stop()
