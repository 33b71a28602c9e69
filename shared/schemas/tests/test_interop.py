"""Other tools read our messages: the official CloudEvents SDK and any JSON Schema validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat
from jsonschema import Draft202012Validator

from nceflow.schemas import OrderEvent
from nceflow.schemas.envelope import CHECKOUT_SOURCE, to_kafka
from nceflow.schemas.examples import example_events, order_confirmed_existing_indirect

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "jsonschema"


def _validator(event_type: str, directory: Path = SCHEMA_DIR) -> Draft202012Validator:
    schema = json.loads((directory / f"{event_type}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("event", example_events(), ids=lambda e: e.event_type())
def test_cloudevents_sdk_parses_our_kafka_records(event: OrderEvent) -> None:
    record = to_kafka(event, source=CHECKOUT_SOURCE, event_id="sdk-1")
    message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    parsed = from_structured(message, JSONFormat())
    assert parsed.get_specversion() == "1.0"
    assert parsed.get_id() == "sdk-1"
    assert parsed.get_type() == event.event_type()
    assert parsed.get_subject() == event.order_id
    assert parsed.get_datacontenttype() == "application/json"
    assert parsed.get_extension("partitionkey") == event.order_id
    assert parsed.get_data() == event.model_dump(mode="json")


@pytest.mark.parametrize("event", example_events(), ids=lambda e: e.event_type())
def test_committed_schema_validates_the_event_data(event: OrderEvent) -> None:
    data = json.loads(to_kafka(event, source=CHECKOUT_SOURCE).value)["data"]
    errors = list(_validator(event.event_type()).iter_errors(data))
    assert errors == []


@pytest.mark.parametrize("event", example_events(), ids=lambda e: e.event_type())
def test_published_baseline_still_validates_the_event_data(event: OrderEvent) -> None:
    data = event.model_dump(mode="json")
    validator = _validator(event.event_type(), SCHEMA_DIR / "published")
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda d: d["items"][0].update(unit_price=6.0), "is not of type 'string'"),
        (lambda d: d["items"][0].update(quantity=0), "less than the minimum"),
        (lambda d: d["tenant"].update(account="other"), "is not valid under any"),
        (lambda d: d["mca"]["accepted_by"].pop("email"), "'email' is a required property"),
        (lambda d: d["items"][0].update(currency="usd"), "does not match"),
        (lambda d: d.update(qualification="charity"), "is not one of"),
    ],
)
def test_committed_schema_rejects_bad_data(mutate: Any, complaint: str) -> None:
    data = order_confirmed_existing_indirect().model_dump(mode="json")
    mutate(data)
    validator = _validator(order_confirmed_existing_indirect().event_type())
    messages = [error.message for error in validator.iter_errors(data)]
    assert any(complaint in message for message in messages), messages
