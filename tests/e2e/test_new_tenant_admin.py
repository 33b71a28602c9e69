"""End to end: the new tenant's admin password reaches the customer once, and nothing else.

Partner Center returns the first admin's password in its answer to "Create a customer", and
never again. The customer sees it once (the order's `admin-credentials`), and it is a real
password: it signs in at Microsoft (the simulator's sign-in page). It is in no event, no Redis
value and no log line; a second look, or another account, gets nothing.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.partner_center_sim.domain.seed import load_seed
from nceflow.testing import simulator as sim_testing
from nceflow.testing.checkout import SIGN_IN_REDIRECT_URI, buy_through_the_wizard, wait_until_placed
from nceflow.testing.checkout import WizardPath as Path

NEW = Path("admin-once", "e2e-admin", "adatum-direct", "new", "e2eadminonce.onmicrosoft.com")
EXISTING = Path("admin-none", "e2e-admin-x", "adatum-direct", "existing", "contoso.onmicrosoft.com")


async def _signs_in(sim: httpx.AsyncClient, user_name: str, password: str) -> bool:
    """Whether Microsoft (the simulator) lets `user_name` in with `password`."""
    domain = user_name.split("@", 1)[1]
    query = {
        "client_id": load_seed().sign_in_apps[0].client_id,
        "redirect_uri": SIGN_IN_REDIRECT_URI,
        "response_type": "code",
        "scope": "openid profile",
        "state": "admin-check",
    }
    url = sim.base_url.join(f"/{domain}/oauth2/v2.0/authorize").copy_merge_params(query)
    async with httpx.AsyncClient(timeout=10) as browser:
        back = await sim_testing.sign_in(browser, str(url), user_name, password)
    return "code" in back.params


def _raw(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


async def _every_redis_value(redis: Redis, prefix: str) -> list[bytes]:
    """Every key's contents under `prefix`, whatever its type."""
    values: list[object] = []
    async for key in redis.scan_iter(match=f"{prefix}*", count=500):
        kind = _raw(await redis.type(key)).decode()
        if kind == "string":
            values.append(await redis.get(key))
        elif kind == "hash":
            values += [item for pair in (await redis.hgetall(key)).items() for item in pair]
        elif kind == "zset":
            values += await redis.zrange(key, 0, -1)
        elif kind == "set":
            values += await redis.smembers(key)
        elif kind == "list":
            values += await redis.lrange(key, 0, -1)
        elif kind == "stream":
            for _, fields in await redis.xrange(key) or []:
                values += [item for pair in (fields or {}).items() for item in pair]
        else:
            raise AssertionError(f"{key!r}: a {kind} this test cannot read")
    return [_raw(value) for value in values]


async def _every_record(bootstrap: str, names: list[str]) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # loads the cluster's metadata
        partitions = [
            TopicPartition(name, p)
            for name in names
            for p in sorted(consumer.partitions_for_topic(name) or set())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[bytes] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(*partitions, timeout_ms=1000)
            for messages in batch.values():
                for message in messages:
                    records.append(message.value or b"")
                    records += [value for _, value in message.headers]
        return records
    finally:
        await consumer.stop()


@pytest.mark.timeout(120)
async def test_the_new_tenants_admin_password_is_shown_once_and_nowhere_else(
    stack: tuple[httpx.AsyncClient, CheckoutSettings],
    sim: httpx.AsyncClient,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
    redis_url: str,
    redis_prefix: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    client, settings = stack
    order_id, headers = await buy_through_the_wizard(client, settings, NEW)
    order = await wait_until_placed(client, order_id, headers)
    reveal = f"/v1/orders/{order_id}/admin-credentials"
    assert order["admin_credentials"] == {"state": "ready", "shown_at": None, "reveal": reveal}

    stranger = {"Authorization": f"Bearer {mint_dev_token('e2e-other', 'adatum-direct', settings)}"}
    assert (await client.post(reveal, headers=stranger)).status_code == 404

    shown = await client.post(reveal, headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    admin: dict[str, Any] = shown.json()
    assert admin["user_name"] == f"admin@{NEW.domain}"
    password: str = admin["password"]
    assert await _signs_in(sim, admin["user_name"], password)
    assert not await _signs_in(sim, admin["user_name"], password + "x")

    again = await client.post(reveal, headers=headers)
    assert again.status_code == 410
    assert again.json()["type"] == "urn:nceflow:problem:admin-credentials-shown"
    after = (await client.get(f"/v1/orders/{order_id}", headers=headers)).json()
    assert after["admin_credentials"]["state"] == "shown"
    assert after["admin_credentials"]["shown_at"] is not None
    assert after["admin_credentials"]["reveal"] is None

    secret = password.encode()
    records = await _every_record(
        kafka_bootstrap, [kafka_topics.checkout_order_events, kafka_topics.fulfilment_order_events]
    )
    assert any(order_id.encode() in record for record in records)  # the order's events are read
    assert not [record for record in records if secret in record], "the password is in an event"
    redis = Redis.from_url(redis_url)
    try:
        values = await _every_redis_value(redis, redis_prefix)
    finally:
        await redis.aclose()
    assert any(order_id.encode() in value for value in values)  # the order is there
    assert not [value for value in values if secret in value], "the password is kept in Redis"
    logged = capfd.readouterr()
    assert order_id in logged.out + logged.err  # the services' log lines were captured
    assert password not in logged.out + logged.err, "the password is logged"


@pytest.mark.timeout(120)
async def test_an_order_into_an_existing_tenant_has_no_admin_password(
    stack: tuple[httpx.AsyncClient, CheckoutSettings], sim: httpx.AsyncClient
) -> None:
    client, settings = stack
    order_id, headers = await buy_through_the_wizard(client, settings, EXISTING)
    order = await wait_until_placed(client, order_id, headers)
    assert order["admin_credentials"] is None
    refused = await client.post(f"/v1/orders/{order_id}/admin-credentials", headers=headers)
    assert refused.status_code == 404
    assert refused.json()["type"] == "urn:nceflow:problem:no-admin-credentials"
