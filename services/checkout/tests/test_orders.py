"""The orders read model: fulfilment's events, consumed from Kafka, move an order's status;
a record that is not an event goes to checkout's dead-letter topic, and an event that cannot be
stored (Redis down) comes again until it is."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.context import AppContext
from nceflow.checkout.resellers import load_directory
from nceflow.checkout.settings import Settings
from nceflow.devstack.processes import free_port
from nceflow.devstack.servers import start_redis
from nceflow.runtime.settings import RedisSettings
from nceflow.schemas import (
    FulfilmentStarted,
    OrderAbandoned,
    OrderFailed,
    OrderGroupError,
    OrderPlaced,
)
from nceflow.schemas.base import OrderEvent
from nceflow.schemas.dead_letter import (
    DLQ_DETAIL,
    DLQ_FAILED_AT,
    DLQ_OFFSET,
    DLQ_PARTITION,
    DLQ_REASON,
    DLQ_TOPIC,
)
from nceflow.schemas.envelope import (
    FULFILMENT_SOURCE,
    InvalidEventReason,
    ReceivedEvent,
    to_kafka,
)
from nceflow.schemas.values import ErrorSource
from nceflow.testing.checkout import seeded_user, sign_in_with_microsoft

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
        ("tenant_sign_in", None),
        ("mca", MCA),
        ("qualification", {"qualification": "none"}),
    ]:
        if data is None:  # signed in as a user of the tenant, in the simulator
            response = await sign_in_with_microsoft(
                client, headers, draft["id"], seeded_user("contoso.onmicrosoft.com")
            )
        else:
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
    client: httpx.AsyncClient,
    headers: dict[str, str],
    order_id: str,
    status: str,
    within: float = 10.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        order = await _status(client, headers, order_id)
        if order["status"] == status:
            return order
        if time.monotonic() > deadline:
            raise AssertionError(f"order never became {status} within {within}s: {order}")
        await asyncio.sleep(0.05)


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within}s")
        await asyncio.sleep(0.05)


Publish = Callable[..., Awaitable[Any]]


@asynccontextmanager
async def _fulfilment_topic(bootstrap: str, topic: str) -> AsyncIterator[Publish]:
    """`publish(event, event_id)` sends a fulfilment event as fulfilment would (key = order
    id); `publish(raw=bytes, key=..., headers=...)` sends any record. Both return its metadata."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()

    async def publish(
        event: OrderEvent | None = None,
        event_id: str | None = None,
        *,
        raw: bytes | None = None,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any:
        if event is not None:
            record = to_kafka(event, source=FULFILMENT_SOURCE, event_id=event_id)
            raw, key, headers = record.value, record.key, list(record.headers)
        return await producer.send_and_wait(topic, raw, key=key, headers=headers or [])

    try:
        yield publish
    finally:
        await producer.stop()


async def _records(bootstrap: str, topic: str, count: int, within: float = 10.0) -> list[Any]:
    """The first `count` records of `topic` (every partition, from the start)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + within
        while len(found) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} records on {topic} in {within}s")
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(batch)
    finally:
        await consumer.stop()
    return found


def _placed(order_id: str, event_id: str) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        correlation_id=f"c-{event_id}",
        customer_id="0cab9e0c-7015-4b96-9819-e59f32cd0700",
        order_ids=[f"pc-{event_id}"],
    )


async def publish_fulfilment_event(
    producer: AIOKafkaProducer, topic: str, event: OrderEvent, event_id: str
) -> None:
    """Publish `event` as fulfilment does (a CloudEvent keyed by its order id)."""
    record = to_kafka(event, source=FULFILMENT_SOURCE, event_id=event_id)
    await producer.send_and_wait(topic, record.value, key=record.key, headers=record.headers)


@pytest.mark.parametrize("trusted", [True, False], ids=["directory-link", "forged-link"])
async def test_a_failure_link_reaches_the_customer_only_if_the_directory_gave_it_out(
    settings: Settings,
    reset_sim: None,
    run_app: Any,
    kafka_bootstrap: str,
    kafka_topics: Any,
    trusted: bool,
) -> None:
    """Anyone who can write the fulfilment topic could otherwise send customers anywhere."""
    live = settings.model_copy(update={"consumer_enabled": True})
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', live)}"}
    reseller = load_directory(live.resellers_file).get("adatum-direct")
    assert reseller is not None
    link = reseller.relationship_link if trusted else "https://login.evil.example/ms"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        async with run_app(create_app(live)) as client:
            order_id, _ = await _existing_order(client, headers)
            failed = OrderFailed(
                order_id=order_id,
                correlation_id="c-1",
                code="20002",
                code_source=ErrorSource.PARTNER_CENTER,
                reason="Accept the reseller relationship, then we retry.",
                action_url=link,
                retryable=True,
            )
            await publish_fulfilment_event(
                producer, kafka_topics.fulfilment_order_events, failed, "e-link"
            )
            order = await _wait_status(client, headers, order_id, "failed")
    finally:
        await producer.stop()
    assert order["failure"]["code"] == "20002"
    assert order["failure"]["action_url"] == (link if trusted else None)


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
        await publish_fulfilment_event(
            producer, kafka_topics.fulfilment_order_events, event, event_id
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
            # ... the tenant is the account's own and its MCA on record: none asked again.
            assert saved.json()["current_step"] == "qualification"
            assert saved.json()["tenant"]["primary_domain"] == "contoso.onmicrosoft.com"
            statuses = {s["id"]: s["status"] for s in saved.json()["steps"]}
            assert statuses["partner_relationship"] == "skipped"
            assert statuses["tenant_domain"] == statuses["tenant_sign_in"] == "skipped"
            assert statuses["mca"] == "skipped"
            for step, data in [
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
            assert confirmed.mca.accepted_by.email == MCA["email"]  # the first order's
            assert confirmed.qualification == "state_owned_entity"
            listed = await client.get("/v1/orders", headers=headers)
            assert [o["order_id"] for o in listed.json()["items"]] == [draft["id"], order_id]
    finally:
        await producer.stop()


async def test_records_that_are_no_events_are_dead_lettered_and_the_next_event_moves_the_order(
    settings: Settings,
    reset_sim: None,
    run_app: Any,
    kafka_bootstrap: str,
    kafka_topics: Any,
) -> None:
    live = settings.model_copy(update={"consumer_enabled": True})
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', live)}"}
    topic = kafka_topics.fulfilment_order_events
    # Not JSON, though its content-type says so; repeated header keys and a header value that is
    # not UTF-8 (FastStream's own parsing and decoding fail on both): kept as they were.
    not_json = b'{"specversion": "1.0", "this is": "not an event"'
    not_json_headers = [
        ("content-type", b"application/json"),
        ("x-trace", b"1"),
        ("x-trace", b"2"),
        ("x-bin", b"\x00\xff"),
    ]
    async with (
        _fulfilment_topic(kafka_bootstrap, topic) as publish,
        run_app(create_app(live)) as client,
    ):
        order_id, _ = await _existing_order(client, headers)
        # A well-formed CloudEvent whose data lacks a required field.
        event = to_kafka(_placed(order_id, "invalid"), source=FULFILMENT_SOURCE, event_id="bad")
        value = json.loads(event.value)
        del value["data"]["customer_id"]
        invalid = json.dumps(value).encode()
        # Same key as the good event: same partition, so the poison is in front of it.
        sent = [
            await publish(raw=not_json, key=order_id.encode(), headers=not_json_headers),
            await publish(raw=invalid, key=event.key, headers=list(event.headers)),
        ]
        await publish(_placed(order_id, "after-poison"), "after-poison")
        order = await _wait_status(client, headers, order_id, "placed")
        assert order["partner_center"]["order_ids"] == ["pc-after-poison"]
    letters = await _records(kafka_bootstrap, kafka_topics.checkout_dead_letter, 2)
    expected = [
        (not_json, not_json_headers, InvalidEventReason.NOT_JSON),
        (invalid, list(event.headers), InvalidEventReason.INVALID_DATA),
    ]
    for letter, metadata, (value_sent, headers_sent, reason) in zip(
        letters, sent, expected, strict=True
    ):
        assert letter.value == value_sent
        assert letter.key == order_id.encode()
        assert list(letter.headers[: len(headers_sent)]) == headers_sent
        added = dict(letter.headers[len(headers_sent) :])
        assert sorted(added) == sorted(
            [DLQ_REASON, DLQ_DETAIL, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_FAILED_AT]
        )
        assert added[DLQ_REASON] == reason.value.encode()
        assert added[DLQ_DETAIL]
        assert added[DLQ_TOPIC] == topic.encode()
        assert added[DLQ_PARTITION] == str(metadata.partition).encode()
        assert added[DLQ_OFFSET] == str(metadata.offset).encode()
    assert b"data.customer_id" in dict(letters[1].headers)[DLQ_DETAIL]


async def test_an_event_fulfilment_does_not_publish_is_dead_lettered_as_unexpected(
    settings: Settings,
    reset_sim: None,
    run_app: Any,
    kafka_bootstrap: str,
    kafka_topics: Any,
) -> None:
    live = settings.model_copy(update={"consumer_enabled": True})
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', live)}"}
    async with (
        _fulfilment_topic(kafka_bootstrap, kafka_topics.fulfilment_order_events) as publish,
        run_app(create_app(live)) as client,
    ):
        order_id, _ = await _existing_order(client, headers)
        stray = OrderAbandoned(order_id=order_id, correlation_id="c-1", reason="expired")
        await publish(stray, "stray-checkout-event")
        await publish(_placed(order_id, "after-stray"), "after-stray")
        order = await _wait_status(client, headers, order_id, "placed")
        assert order["partner_center"]["order_ids"] == ["pc-after-stray"]
    (letter,) = await _records(kafka_bootstrap, kafka_topics.checkout_dead_letter, 1)
    assert letter.key == order_id.encode()
    assert dict(letter.headers)[DLQ_REASON] == b"unexpected_type"
    assert b"OrderAbandoned" in dict(letter.headers)[DLQ_DETAIL]


@pytest.mark.timeout(120)
async def test_an_event_that_cannot_be_stored_comes_again_until_redis_is_back(
    settings: Settings,
    reset_sim: None,
    run_app: Any,
    kafka_bootstrap: str,
    kafka_topics: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis stops while fulfilment's `OrderPlaced` arrives: the consumer fails to store it, and
    must neither commit past it nor drop it. Redis of this test's own (append-only file, as in
    production) is stopped by its pid, then started again on the same port and data."""
    port, data = free_port(), tmp_path / "redis"
    redis = start_redis(port, data_dir=data, log_path=tmp_path / "redis.log")
    live = settings.model_copy(
        update={
            "consumer_enabled": True,
            "redis": RedisSettings(url=redis.url, key_prefix=settings.redis.key_prefix),
        }
    )
    headers = {"Authorization": f"Bearer {mint_dev_token('acme', 'adatum-direct', live)}"}
    app = create_app(live)
    try:
        async with (
            _fulfilment_topic(kafka_bootstrap, kafka_topics.fulfilment_order_events) as publish,
            run_app(app) as client,
        ):
            order_id, _ = await _existing_order(client, headers)
            context: AppContext = app.state.context
            apply = context.orders.apply_fulfilment_event
            failures: list[Exception] = []

            async def watched(received: ReceivedEvent) -> Any:
                try:
                    return await apply(received)
                except Exception as exc:
                    failures.append(exc)
                    raise

            monkeypatch.setattr(context.orders, "apply_fulfilment_event", watched)
            redis.stop()  # SIGTERM by pid: the append-only file keeps the order
            await publish(_placed(order_id, "during-outage"), "during-outage")
            await _until(lambda: bool(failures), 30, "a failed attempt to store the event")
            redis = start_redis(port, data_dir=data, log_path=tmp_path / "redis-again.log")
            order = await _wait_status(client, headers, order_id, "placed", within=30)
    finally:
        redis.stop()
    assert order["partner_center"]["order_ids"] == ["pc-during-outage"]
    print(f"\nattempts that failed while Redis was down: {len(failures)}")
