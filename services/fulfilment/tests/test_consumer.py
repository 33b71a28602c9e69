"""The Kafka side: duplicates place one order, poison goes to the dead-letter topic and the next
message still flows, other checkout events are skipped, dead letters can be replayed."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest

from nceflow.devstack.pytest_plugin import KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext
from nceflow.fulfilment.ops import replay
from nceflow.fulfilment.settings import Settings
from nceflow.schemas import (
    FulfilmentStarted,
    OrderDrafted,
    OrderFailed,
    OrderPlaced,
    ProvisioningStatus,
    Term,
)
from nceflow.schemas.dead_letter import DLQ_OFFSET, DLQ_REASON, DLQ_TOPIC
from nceflow.schemas.envelope import CE_TYPE_HEADER, CHECKOUT_SOURCE, MAX_EVENT_BYTES, to_kafka
from nceflow.testing.fulfilment import (
    ended,
    existing_tenant_order,
    item,
    publish_orders,
    publish_raw,
    sim_requests,
    tenant_orders,
)

Runner = Callable[[Settings], AbstractAsyncContextManager[AppContext]]


def placed(order_id: str) -> Callable[[TopicReader], bool]:
    return lambda seen: any(isinstance(e, OrderPlaced) for e in seen.of(order_id))


async def test_same_order_confirmed_delivered_twice_places_one_order(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    order = existing_tenant_order("ord-dup-1")
    topic = kafka_topics.checkout_order_events
    async with running(settings) as context:
        # The same event twice (a producer retry), then the same order under a new event id
        # (checkout's outbox relay re-publishing after a crash).
        await publish_orders(kafka_bootstrap, topic, [order], event_id="evt-dup-1")
        await publish_orders(kafka_bootstrap, topic, [order], event_id="evt-dup-1")
        await publish_orders(kafka_bootstrap, topic, [order], event_id="evt-dup-2")
        await events.wait_for(placed("ord-dup-1"))
        await events.wait_for(lambda _: context.metrics.duplicates._value.get() == 2, within=10)
        # Each copy is answered with where the saga stood (its own start, not a second run).
        answers = context.metrics.answers._value.get()
        assert answers >= 1
        await events.wait_for(lambda seen: len(starts(seen, "ord-dup-1")) == 1 + answers)
    assert len([e for e in events.of("ord-dup-1") if isinstance(e, OrderPlaced)]) >= 1
    assert len(await tenant_orders(sim)) == 1
    assert await sim_requests(sim, "POST", "/v1/customers/*/carts") != []
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout")) == 1


def provisioned(order_id: str) -> Callable[[TopicReader], bool]:
    return lambda seen: any(
        isinstance(e, OrderPlaced) and e.provisioning is ProvisioningStatus.COMPLETED
        for e in seen.of(order_id)
    )


def starts(seen: TopicReader, order_id: str) -> list[FulfilmentStarted]:
    return [e for e in seen.of(order_id) if isinstance(e, FulfilmentStarted)]


async def test_known_order_confirmed_again_is_answered_with_where_it_stands(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """Checkout re-emits `OrderConfirmed` when it hears nothing (a broker forgot our events): a
    placed saga answers its start and its `OrderPlaced` again, a failed one its `OrderFailed`,
    and neither calls Partner Center again."""
    good = existing_tenant_order("ord-ask-placed")
    # An availability the catalogue does not have, for a term the SKU does not sell either.
    stale = item(availability_id="CFQ7TTC0ZZZZ", term=Term.P3Y)
    gone = existing_tenant_order("ord-ask-failed", items=[stale])
    topic = kafka_topics.checkout_order_events
    async with running(settings) as context:
        await publish_orders(kafka_bootstrap, topic, [good, gone])
        # Settled first: the saga's own `OrderPlaced(completed)` after following the order
        # must not be mistaken for the answer.
        await events.wait_for(provisioned("ord-ask-placed"), within=30)
        await events.wait_for(ended("ord-ask-failed"), within=20)
        carts = len(await sim_requests(sim, "POST", "/v1/customers/*/carts"))
        checkouts = len(await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout"))
        assert (carts, checkouts) == (2, 1)
        first_placed = [e for e in events.of("ord-ask-placed") if isinstance(e, OrderPlaced)]

        await publish_orders(kafka_bootstrap, topic, [good, gone], event_id="evt-ask-again")
        await events.wait_for(
            lambda seen: (
                len([e for e in seen.of("ord-ask-placed") if isinstance(e, OrderPlaced)])
                == len(first_placed) + 1
            )
        )
        await events.wait_for(
            lambda seen: (
                len([e for e in seen.of("ord-ask-failed") if isinstance(e, OrderFailed)]) == 2
            )
        )
        assert context.metrics.answers._value.get() == 2

    answer = [e for e in events.of("ord-ask-placed") if isinstance(e, OrderPlaced)][-1]
    assert answer.provisioning is ProvisioningStatus.COMPLETED
    assert answer.order_ids == first_placed[-1].order_ids
    assert answer.customer_id == first_placed[-1].customer_id
    assert len(starts(events, "ord-ask-placed")) == 2
    # A start after a failure would tell checkout the order is being re-driven.
    assert len(starts(events, "ord-ask-failed")) == 1
    failures = [e for e in events.of("ord-ask-failed") if isinstance(e, OrderFailed)]
    assert failures[0].code == failures[1].code == "plan_changed"
    # Answered from the saga alone: no cart and no checkout again.
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts")) == carts
    assert len(await sim_requests(sim, "POST", "/v1/customers/*/carts/*/checkout")) == checkouts
    assert len(await tenant_orders(sim)) == 1


async def test_duplicates_inside_one_batch_place_one_order(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """Published before the service starts, the records reach it as one batch, recorded in one
    pipeline: the scripts run in order, so the copies behind the first are duplicates."""
    order, other = existing_tenant_order("ord-dup-batch"), existing_tenant_order("ord-dup-other")
    topic = kafka_topics.checkout_order_events
    await publish_orders(kafka_bootstrap, topic, [order], event_id="evt-batch-1")
    await publish_orders(kafka_bootstrap, topic, [other])
    await publish_orders(kafka_bootstrap, topic, [order], event_id="evt-batch-1")
    await publish_orders(kafka_bootstrap, topic, [order], event_id="evt-batch-2")
    async with running(settings) as context:
        await events.wait_for(placed("ord-dup-batch"))
        await events.wait_for(placed("ord-dup-other"))
        await events.wait_for(lambda _: context.metrics.duplicates._value.get() == 2, within=10)
        assert context.metrics.accepted._value.get() == 2
        # One start from the run; a copy under a new event id is answered with another.
        answers = context.metrics.answers._value.get()
        await events.wait_for(lambda seen: len(starts(seen, "ord-dup-batch")) == 1 + answers)
    assert len(await tenant_orders(sim)) == 2


async def test_poison_message_is_dead_lettered_and_the_next_order_is_placed(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    topic = kafka_topics.checkout_order_events
    poison = b'{"specversion": "1.0", "this is": "not an event"'
    async with (
        TopicReader(kafka_bootstrap, kafka_topics.dead_letter) as dead,
        running(settings),
    ):
        # Same key as the good order: same partition, so the poison is in front of it.
        await publish_raw(
            kafka_bootstrap, topic, poison, key=b"ord-after-poison", headers=[("x-trace", b"42")]
        )
        await publish_orders(kafka_bootstrap, topic, [existing_tenant_order("ord-after-poison")])
        await events.wait_for(placed("ord-after-poison"))
        await dead.wait_for(lambda seen: len(seen.records) == 1, within=10)
    (letter,) = dead.records
    headers = dict(letter.headers)
    assert letter.value == poison
    assert letter.key == b"ord-after-poison"
    assert headers["x-trace"] == b"42"
    assert headers[DLQ_REASON] == b"not_json"
    assert headers[DLQ_TOPIC] == topic.encode()
    assert headers[DLQ_OFFSET] == b"0"


@pytest.mark.parametrize(
    ("poison", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, b"not_json"),  # RecursionError in the JSON parser
        (b"{" + b" " * (MAX_EVENT_BYTES + 1) + b"}", b"too_large"),
    ],
    ids=["nested-too-deep", "over-the-size-cap"],
)
async def test_a_record_the_parser_cannot_take_is_dead_lettered_not_stalling_its_partition(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
    poison: bytes,
    reason: bytes,
) -> None:
    topic = kafka_topics.checkout_order_events
    async with (
        TopicReader(kafka_bootstrap, kafka_topics.dead_letter) as dead,
        running(settings),
    ):
        await publish_raw(kafka_bootstrap, topic, poison, key=b"ord-after-deep")
        await publish_orders(kafka_bootstrap, topic, [existing_tenant_order("ord-after-deep")])
        await events.wait_for(placed("ord-after-deep"))
        await dead.wait_for(lambda seen: len(seen.records) == 1, within=10)
    (letter,) = dead.records
    assert letter.value == poison
    assert dict(letter.headers)[DLQ_REASON] == reason


async def test_a_batch_with_records_faststream_cannot_read_still_places_its_orders(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """A header that is not UTF-8 and a value its content-type calls JSON when it is not: both
    fail FastStream's own parsing and decoding, which dropped the whole batch (the orders in it
    too) before the handler ran. Published before the service starts, all arrive as one batch:
    the two are dead-lettered byte for byte, the orders around them are placed."""
    topic = kafka_topics.checkout_order_events
    key = b"ord-batch-poison-a"  # one key: one partition, so the records keep this order
    binary_header = [("x-bin", b"\x00\xff"), ("x-trace", b"1"), ("x-trace", b"2")]
    mislabelled = [("content-type", b"application/json")]
    before = to_kafka(existing_tenant_order("ord-batch-poison-a"), source=CHECKOUT_SOURCE)
    after = to_kafka(existing_tenant_order("ord-batch-poison-a2"), source=CHECKOUT_SOURCE)
    await publish_raw(kafka_bootstrap, topic, before.value, key=key, headers=before.headers)
    await publish_raw(kafka_bootstrap, topic, b"\x80 not JSON", key=key, headers=binary_header)
    await publish_raw(kafka_bootstrap, topic, b"{not json", key=key, headers=mislabelled)
    await publish_raw(kafka_bootstrap, topic, after.value, key=key, headers=after.headers)
    async with (
        TopicReader(kafka_bootstrap, kafka_topics.dead_letter) as dead,
        running(settings),
    ):
        await events.wait_for(placed("ord-batch-poison-a"))
        await events.wait_for(placed("ord-batch-poison-a2"))
        await dead.wait_for(lambda seen: len(seen.records) == 2, within=10)
    letters = sorted(dead.records, key=lambda r: int(dict(r.headers)[DLQ_OFFSET]))
    assert [letter.value for letter in letters] == [b"\x80 not JSON", b"{not json"]
    assert [list(letter.headers[:3]) for letter in letters[:1]] == [binary_header]
    assert list(letters[1].headers[:1]) == mislabelled
    assert [dict(letter.headers)[DLQ_REASON] for letter in letters] == [b"not_json", b"not_json"]
    assert [dict(letter.headers)[DLQ_OFFSET] for letter in letters] == [b"1", b"2"]
    assert len(await tenant_orders(sim)) == 2


async def test_other_checkout_events_are_skipped_without_dead_letters(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """Known checkout events fulfilment does not need, and a newer checkout's event type it does
    not know (with its header, and without), are skipped; an `OrderConfirmed` of a version it
    cannot read is an order: dead-lettered, never dropped."""
    from datetime import UTC, datetime

    drafted = OrderDrafted(
        order_id="ord-skip",
        correlation_id="c-1",
        marketplace_account_id="acct",
        reseller_id="adatum",
        expires_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    record = to_kafka(drafted, source=CHECKOUT_SOURCE)

    def as_type(event_type: str, *, header: bool = True) -> tuple[bytes, list[tuple[str, bytes]]]:
        value = json.loads(record.value)
        value["type"] = event_type
        headers = [
            (k, event_type.encode() if k == CE_TYPE_HEADER else v) for k, v in record.headers
        ]
        if not header:
            headers = [(k, v) for k, v in headers if k != CE_TYPE_HEADER]
        return json.dumps(value).encode(), headers

    newer = "com.nceflow.checkout.OrderRepriced.v1"
    later_order = "com.nceflow.checkout.OrderConfirmed.v9"
    topic = kafka_topics.checkout_order_events
    async with (
        TopicReader(kafka_bootstrap, kafka_topics.dead_letter) as dead,
        running(settings) as context,
    ):
        await publish_raw(
            kafka_bootstrap, topic, record.value, key=record.key, headers=list(record.headers)
        )
        for value, headers in (as_type(newer), as_type(newer, header=False), as_type(later_order)):
            await publish_raw(kafka_bootstrap, topic, value, key=record.key, headers=headers)
        await publish_orders(kafka_bootstrap, topic, [existing_tenant_order("ord-s2")])
        await events.wait_for(placed("ord-s2"))
        await dead.wait_for(lambda seen: len(seen.records) == 1, within=10)
        messages = context.metrics.messages
        assert messages.labels("skipped")._value.get() == 3
        assert messages.labels("dead_lettered")._value.get() == 1
    (letter,) = dead.records
    assert dict(letter.headers)[DLQ_REASON] == b"unknown_type"
    assert json.loads(letter.value)["type"] == later_order
    assert events.of("ord-skip") == []


async def test_replay_sends_dead_letters_back_once(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """A valid order that was dead-lettered (e.g. by an older release) is placed on replay."""
    order = existing_tenant_order("ord-replayed")
    record = to_kafka(order, source=CHECKOUT_SOURCE)
    headers = [*record.headers, (DLQ_REASON, b"handler_failed"), (DLQ_TOPIC, b"x")]
    headers = [(k, v) for k, v in headers if k != DLQ_TOPIC]
    headers.append((DLQ_TOPIC, kafka_topics.checkout_order_events.encode()))
    await publish_raw(
        kafka_bootstrap, kafka_topics.dead_letter, record.value, key=record.key, headers=headers
    )
    async with running(settings):
        first = await replay(settings)
        assert first.replayed_dead_letters == 1
        await events.wait_for(placed("ord-replayed"))
        second = await replay(settings)
        assert second.replayed_dead_letters == 0
    assert len(await tenant_orders(sim)) == 1


async def test_replay_sends_only_to_topics_fulfilment_reads_and_dry_run_sends_nothing(
    sim: httpx.AsyncClient,
    settings: Settings,
    running: Runner,
    events: TopicReader,
    kafka_bootstrap: str,
    kafka_topics: KafkaTopics,
) -> None:
    """A dead letter names its topic in a header: one naming the fulfilment topic (which only
    fulfilment writes) must not turn replay into a way to forge fulfilment events."""
    order = existing_tenant_order("ord-replay-allowed")
    record = to_kafka(order, source=CHECKOUT_SOURCE)
    for topic in (kafka_topics.fulfilment_order_events, kafka_topics.checkout_order_events):
        headers = [*record.headers, (DLQ_REASON, b"handler_failed"), (DLQ_TOPIC, topic.encode())]
        await publish_raw(
            kafka_bootstrap, kafka_topics.dead_letter, record.value, key=record.key, headers=headers
        )
    async with running(settings):
        planned = await replay(settings, dry_run=True)
        assert planned.dry_run
        assert planned.replayed_dead_letters == 1
        assert planned.refused_topics == [kafka_topics.fulfilment_order_events]
        assert await sim_requests(sim, "POST", "/v1/customers/*/carts") == []
        done = await replay(settings)
        assert done.replayed_dead_letters == 1  # the dry run moved no position
        assert done.refused_topics == [kafka_topics.fulfilment_order_events]
        await events.wait_for(placed("ord-replay-allowed"))
    assert not [e for e in events.of("ord-replay-allowed") if type(e).__name__ == "OrderConfirmed"]
