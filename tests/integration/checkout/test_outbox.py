"""The transactional outbox end to end: Redis → relay → Kafka, losing no event.

- A relay that dies after Kafka took a batch but before it acknowledged the outbox entries:
  another relay (here the standalone `python -m nceflow.checkout.relay`) claims them and
  publishes them again with the same event ids; every event arrives, duplicates are recognisable.
- The broker stopped for 5 s while 200 customers press Buy: every Buy is answered at once (the
  outbox is in Redis), and all 200 `OrderConfirmed` reach Kafka once the broker is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from nceflow.checkout.adapters.kafka import KafkaPublisher
from nceflow.checkout.adapters.outbox_relay import OutboxRelay, RelaySettings
from nceflow.checkout.adapters.redis_store import DraftStore, Keys
from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.domain.draft import Draft
from nceflow.checkout.domain.pricing import PlanQuote
from nceflow.checkout.domain.steps import (
    AccountInput,
    AccountKind,
    CartItemInput,
    CompanyProfileInput,
    McaInput,
    QualificationInput,
)
from nceflow.checkout.events import order_drafted, outbox_entry
from nceflow.checkout.repository import OutboxEntry
from nceflow.checkout.resellers import load_directory
from nceflow.devstack.processes import LOOPBACK, ManagedProcess, free_port
from nceflow.devstack.servers import create_topics, start_broker
from nceflow.runtime.settings import KafkaSettings
from nceflow.schemas import topics
from nceflow.schemas.values import Qualification
from nceflow.testing.checkout import checkout_settings

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"


class RelayThatDiesBeforeAck(OutboxRelay):
    """Publishes, then hangs where it would acknowledge: killing it then loses the ack only."""

    async def _acknowledge(self, stream: str, entry_ids: list[bytes]) -> None:
        await asyncio.Event().wait()


class RecordingPublisher:
    """Wraps the Kafka publisher to note which events Kafka acknowledged."""

    def __init__(self, inner: KafkaPublisher, seen: list[str]) -> None:
        self._inner = inner
        self._seen = seen

    async def publish(self, entries: Sequence[OutboxEntry]) -> None:
        await self._inner.publish(entries)
        self._seen.extend(entry.event_id for entry in entries)


def _draft(account: str) -> Draft:
    now = datetime.now(UTC)
    reseller = load_directory().get("adatum-direct")
    assert reseller is not None
    return Draft.start(
        draft_id=str(uuid.uuid4()),
        account_id=account,
        correlation_id=str(uuid.uuid4()),
        reseller=reseller.terms(),
        now=now,
        idle_timeout=timedelta(days=7),
    )


async def test_a_relay_killed_between_publish_and_ack_loses_nothing(
    redis_url: str,
    redis_prefix: str,
    kafka_server: Any,
    kafka_topics: Any,
    service_env: dict[str, str],
    topic_reader: Any,
    tmp_path: Path,
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=kafka_server.bootstrap_servers,
        enable_idempotence=kafka_server.supports_idempotence,
        topic_prefix=kafka_topics.prefix,
    )
    redis = Redis.from_url(redis_url)
    keys = Keys(redis_prefix)
    store = DraftStore(redis, keys, retention=timedelta(days=1))
    now = datetime.now(UTC)
    event_ids: list[str] = []
    for n in range(40):
        draft = _draft(f"account-{n}")
        entry = outbox_entry(order_drafted(draft), now)
        event_ids.append(entry.event_id)
        await store.insert(draft, [entry], now)

    published: list[str] = []
    publisher = KafkaPublisher(kafka, client_id="doomed-relay")
    doomed = RelayThatDiesBeforeAck(
        Redis.from_url(redis_url), keys, RecordingPublisher(publisher, published), RelaySettings()
    )
    async with topic_reader(kafka.bootstrap_servers, kafka_topics.checkout_order_events) as reader:
        task = asyncio.create_task(doomed.run())
        # Kafka has every event; the outbox still holds them all, unacknowledged.
        await reader.wait_for(lambda r: {e.id for e in r.received} >= set(event_ids))
        assert set(published) == set(event_ids)
        assert await doomed.pending() == len(event_ids)
        task.cancel()  # the relay dies here
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await publisher.stop()

        survivor = ManagedProcess(
            name="relay",
            argv=[sys.executable, "-m", "nceflow.checkout.relay"],
            port=0,
            env={
                **service_env,
                "NCEFLOW_CHECKOUT_RELAY_CLAIM_IDLE_MS": "300",
                "NCEFLOW_CHECKOUT_RELAY_CLAIM_INTERVAL_SECONDS": "0.2",
                "NCEFLOW_CHECKOUT_RELAY_BLOCK_MS": "100",
            },
            log_path=tmp_path / "relay.log",
        ).start()
        try:
            # Published again, by the survivor, with the same ids: every event twice.
            await reader.wait_for(
                lambda r: (
                    all(
                        n >= 2
                        for n in Counter(e.id for e in r.received if e.id in event_ids).values()
                    )
                    and len({e.id for e in r.received}) >= len(event_ids)
                )
            )
            for _ in range(150):
                if not await doomed.backlog():
                    break
                await asyncio.sleep(0.1)
            assert await doomed.backlog() == 0
            assert await doomed.pending() == 0
        finally:
            survivor.stop()
    counts = Counter(e.id for e in reader.received)
    assert set(counts) == set(event_ids)
    assert all(n == 2 for n in counts.values())
    await redis.aclose()


def _ready_draft(account: str, quotes: dict[str, PlanQuote]) -> Draft:
    now = datetime.now(UTC)
    draft = _draft(account)
    draft = draft.with_cart([CartItemInput(plan_id=BASIC, quantity=2)], quotes, now).draft
    draft = draft.with_account(AccountInput(kind=AccountKind.NEW), None, now).draft
    profile = CompanyProfileInput(
        company_name="Acme",
        address_line1="1 Main St",
        city="Redmond",
        postal_code="98052",
        country="US",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        phone="+1 425 555 0100",
        domain_prefix=f"acme{account[-6:]}",
    )
    draft = draft.with_company_profile(profile, domain_available=True, now=now).draft
    mca = McaInput(
        accepted="yes",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        phone="+1 425 555 0100",
    )
    draft = draft.with_mca(mca, now).draft
    return draft.with_qualification(QualificationInput(qualification=Qualification.NONE), now).draft


@pytest.fixture
def own_broker(tmp_path: Path) -> Any:
    """A broker of this test's own, which it may stop and resume."""
    broker = start_broker(free_port(), log_path=tmp_path / "tansu.log")
    try:
        yield broker
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(broker.pid, signal.SIGCONT)
        broker.stop()


async def test_broker_stopped_5s_during_200_buys_loses_no_order_confirmed(
    redis_url: str,
    redis_prefix: str,
    catalog_url: str,
    partner_center_sim: str,
    own_broker: Any,
    topic_reader: Any,
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    await create_topics(own_broker.url, [prefix + name for name in topics.ALL_TOPICS], partitions=4)
    settings = checkout_settings(
        kafka_bootstrap=own_broker.url,
        enable_idempotence=False,
        topic_prefix=prefix,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        catalog_url=catalog_url,
        sim_url=partner_center_sim,
        consumer_enabled=False,
    )
    app = create_app(settings)
    async with httpx.AsyncClient(base_url=catalog_url) as catalog:
        plan = (await catalog.get("/v1/plans", params={"ids": BASIC})).json()["items"][0]
    quotes = {
        BASIC: PlanQuote(
            plan_id=plan["id"], **{k: plan[k] for k in PlanQuote.model_fields if k != "plan_id"}
        )
    }
    redis = Redis.from_url(redis_url)
    store = DraftStore(redis, Keys(redis_prefix), retention=timedelta(days=1))
    drafts = [_ready_draft(f"buyer-{n:06d}", quotes) for n in range(200)]
    now = datetime.now(UTC)
    for draft in drafts:
        await store.insert(draft, [], now)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://checkout"
        ) as client,
        topic_reader(own_broker.url, prefix + topics.CHECKOUT_ORDER_EVENTS) as reader,
    ):
        os.kill(own_broker.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        try:

            async def buy(draft: Draft) -> int:
                token = mint_dev_token(draft.account_id, "adatum-direct", settings)
                response = await client.post(
                    f"/v1/drafts/{draft.id}/confirm",
                    json={"terms_accepted": True},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": draft.id},
                )
                return response.status_code

            codes: list[int] = []
            for start in range(0, len(drafts), 20):
                codes += await asyncio.gather(*(buy(d) for d in drafts[start : start + 20]))
            assert codes == [202] * len(drafts)
            await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - stopped_at)))
            assert not reader.records
        finally:
            os.kill(own_broker.pid, signal.SIGCONT)
        wanted = {draft.id for draft in drafts}
        await reader.wait_for(
            lambda r: {e.subject for e in r.received if ".OrderConfirmed." in e.type} >= wanted,
            within=60,
        )
    confirmed = [e for e in reader.received if ".OrderConfirmed." in e.type]
    assert {e.subject for e in confirmed} == wanted
    assert len({e.id for e in confirmed}) == len(wanted)
    assert LOOPBACK in own_broker.url
    await redis.aclose()
