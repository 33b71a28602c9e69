"""CloudEvents envelopes on Kafka: round trips, headers, and every way a message can be bad."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nceflow.schemas import OrderEvent
from nceflow.schemas.envelope import (
    CE_ID_HEADER,
    CE_TYPE_HEADER,
    CHECKOUT_SOURCE,
    MAX_EVENT_BYTES,
    InvalidEventError,
    InvalidEventReason,
    from_kafka,
    header_value,
    to_kafka,
)
from nceflow.schemas.examples import ORDER_ID, example_events, order_confirmed_new_direct

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _envelope(**overrides: Any) -> dict[str, Any]:
    record = to_kafka(order_confirmed_new_direct(), source=CHECKOUT_SOURCE, event_id="e-1")
    envelope: dict[str, Any] = json.loads(record.value)
    envelope.update(overrides)
    return envelope


def _reason(value: bytes) -> InvalidEventError:
    with pytest.raises(InvalidEventError) as caught:
        from_kafka(value)
    return caught.value


@pytest.mark.parametrize("event", example_events(), ids=lambda e: e.event_type())
def test_round_trip_gives_back_the_event(event: OrderEvent) -> None:
    record = to_kafka(event, source=CHECKOUT_SOURCE, event_id="e-42", time=AT)
    received = from_kafka(record.value)
    assert received.data == event
    assert (received.id, received.type, received.subject, received.time) == (
        "e-42",
        event.event_type(),
        event.order_id,
        AT,
    )
    assert received.source == CHECKOUT_SOURCE
    assert received.dataschema == f"urn:nceflow:schema:{event.event_type()}"


def test_record_is_keyed_by_order_id_with_type_and_id_headers() -> None:
    record = to_kafka(order_confirmed_new_direct(), source=CHECKOUT_SOURCE, event_id="e-7")
    assert record.key == ORDER_ID.encode()
    assert header_value(record.headers, CE_TYPE_HEADER) == "com.nceflow.checkout.OrderConfirmed.v1"
    assert record.header(CE_ID_HEADER) == b"e-7"
    assert record.text_headers()["content-type"] == "application/cloudevents+json"


def test_structured_value_carries_every_envelope_attribute() -> None:
    envelope = _envelope()
    assert envelope["specversion"] == "1.0"
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["subject"] == ORDER_ID
    assert envelope["time"].endswith("Z")
    assert envelope["data"]["totals"] == {"USD": "116.40"}


def test_event_id_and_time_default_to_fresh_values() -> None:
    event = order_confirmed_new_direct()
    first, second = (from_kafka(to_kafka(event, source="/t").value) for _ in range(2))
    assert first.id != second.id
    assert first.time is not None
    assert first.time.tzinfo is not None


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_kafka(order_confirmed_new_direct(), source="/t", time=datetime(2026, 11, 25, 12, 0))


def test_reader_ignores_unknown_fields_added_by_a_newer_producer() -> None:
    envelope = _envelope()
    envelope["data"]["gift_message"] = "added in v1.1"
    received = from_kafka(json.dumps(envelope).encode())
    assert received.data == order_confirmed_new_direct()


@pytest.mark.parametrize("value", [b"\xff\xfe", b"{not json", b""])
def test_bytes_that_are_not_json(value: bytes) -> None:
    assert _reason(value).reason is InvalidEventReason.NOT_JSON


@pytest.mark.parametrize("value", [b"[1, 2]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object(value: bytes) -> None:
    assert _reason(value).reason is InvalidEventReason.NOT_CLOUDEVENT


def test_missing_type_is_not_a_cloudevent_and_names_the_attribute() -> None:
    envelope = _envelope()
    del envelope["type"]
    error = _reason(json.dumps(envelope).encode())
    assert error.reason is InvalidEventReason.NOT_CLOUDEVENT
    assert [e.field for e in error.errors] == ["type"]
    assert "type" in str(error)


def test_wrong_specversion_or_bad_time_is_not_a_cloudevent() -> None:
    for overrides in ({"specversion": "0.3"}, {"time": "yesterday"}):
        error = _reason(json.dumps(_envelope(**overrides)).encode())
        assert error.reason is InvalidEventReason.NOT_CLOUDEVENT, overrides


def test_unknown_type_names_the_type() -> None:
    error = _reason(json.dumps(_envelope(type="com.nceflow.checkout.OrderShipped.v1")).encode())
    assert error.reason is InvalidEventReason.UNKNOWN_TYPE
    assert error.event_type == "com.nceflow.checkout.OrderShipped.v1"
    assert error.event_id == "e-1"
    assert "OrderShipped" in str(error)


def test_invalid_data_lists_the_paths_of_the_bad_fields() -> None:
    envelope = _envelope()
    envelope["data"]["items"][0]["quantity"] = 0
    del envelope["data"]["idempotency_key"]
    error = _reason(json.dumps(envelope).encode())
    assert error.reason is InvalidEventReason.INVALID_DATA
    assert {e.field for e in error.errors} == {"data.items.0.quantity", "data.idempotency_key"}
    assert "data.items.0.quantity" in str(error)


def test_data_that_is_not_an_object_is_invalid_data() -> None:
    for data in ({"data": "text"}, {"data": None}):
        error = _reason(json.dumps(_envelope(**data)).encode())
        assert error.reason is InvalidEventReason.INVALID_DATA


def test_subject_must_be_the_order_id() -> None:
    error = _reason(json.dumps(_envelope(subject="another-order")).encode())
    assert error.reason is InvalidEventReason.INVALID_DATA
    assert error.errors[0].field == "subject"


OUTCOMES = {"parsed", *InvalidEventReason}


def _outcome(value: bytes) -> str:
    """`parsed`, or the reason of the one error type `from_kafka` may raise."""
    try:
        from_kafka(value)
    except InvalidEventError as error:
        return error.reason
    return "parsed"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(st.binary())
def test_arbitrary_bytes_raise_only_invalid_event_error(value: bytes) -> None:
    assert _outcome(value) in OUTCOMES


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "specversion": st.sampled_from(["1.0", "0.3", 1]) | _json,
            "id": st.text() | _json,
            "source": st.text() | _json,
            "type": st.sampled_from(["com.nceflow.checkout.OrderDrafted.v1"]) | _json,
            "time": st.sampled_from(["2026-11-25T12:00:00Z", "2026-13-45"]) | _json,
            "subject": _json,
            "data": _json,
            "data_base64": _json,
        },
    )
)
def test_arbitrary_envelopes_raise_only_invalid_event_error(envelope: dict[str, Any]) -> None:
    assert _outcome(json.dumps(envelope).encode()) in OUTCOMES


@pytest.mark.parametrize(
    "value",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"specversion": "1.0", "data": ' + b'{"a": ' * 20_000 + b"1" + b"}" * 20_001,
    ],
    ids=["deep-array", "deep-data"],
)
def test_nesting_too_deep_for_the_parser_is_not_json(value: bytes) -> None:
    # A RecursionError out of the JSON parser used to escape: the record stalled its partition.
    error = _reason(value)
    assert error.reason is InvalidEventReason.NOT_JSON
    assert "nested too deeply" in str(error)


def test_a_value_over_the_contracts_limit_is_refused_unread() -> None:
    error = _reason(b" " * (MAX_EVENT_BYTES + 1))
    assert error.reason is InvalidEventReason.TOO_LARGE
    assert str(MAX_EVENT_BYTES) in str(error)
