"""CloudEvents 1.0 envelopes on Kafka: `to_kafka` for producers, `from_kafka` for subscribers.

Messages use the structured content mode: the value is the whole CloudEvent as JSON
(`application/cloudevents+json`), so a subscriber needs nothing but the value to parse it, and a
copy of the value (a dead letter, an outbox entry) keeps everything. The CloudEvents SDK builds,
validates and (de)serialises the envelope; this module adds the event models on `data`.

`ce_type` and `ce_id` are copied into Kafka headers so that consumers can filter and deduplicate
without parsing the value. Note for users of the SDK's auto-detecting `from_kafka`: it treats any
`ce_` header as binary mode; parse our messages with `cloudevents.core.bindings.kafka
.from_structured` (the Kafka binding's rule is to detect the mode by `content-type`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, cast

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from nceflow.schemas.base import OrderEvent
from nceflow.schemas.events import EVENT_CLASSES, Event

CE_TYPE_HEADER: Final = "ce_type"
CE_ID_HEADER: Final = "ce_id"
DATA_CONTENT_TYPE: Final = "application/json"

CHECKOUT_SOURCE: Final = "/nceflow/checkout"
"""Conventional CloudEvents `source` of checkout's events (a URI reference)."""
FULFILMENT_SOURCE: Final = "/nceflow/fulfilment"
"""Conventional CloudEvents `source` of fulfilment's events (a URI reference)."""

SCHEMA_URI_PREFIX: Final = "urn:nceflow:schema:"
"""`dataschema` = this prefix + the event type. The committed JSON Schema
`shared/schemas/jsonschema/<type>.json` carries the same URI as its `$id`. A URN rather than a
URL because the schema must stay identifiable wherever the package is mirrored or vendored."""

_FORMAT: Final = JSONFormat()


def dataschema_uri(event_type: str) -> str:
    """The `dataschema` URI of an event type (also the `$id` of its JSON Schema)."""
    return f"{SCHEMA_URI_PREFIX}{event_type}"


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    """What to hand to a Kafka producer: key = order id, the CloudEvent as value, and headers."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> bytes | None:
        """The first header of that name, if any."""
        return next((value for key, value in self.headers if key == name), None)

    def text_headers(self) -> dict[str, str]:
        """Headers as `str` values, the form FastStream's `publish(headers=...)` takes."""
        return {key: value.decode() for key, value in self.headers}


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """A parsed message: the envelope attributes consumers need, and the typed event.

    Deduplicate by `id`: a producer that republishes an event (an outbox relay after a crash)
    reuses its id.
    """

    id: str
    type: str
    source: str
    subject: str | None
    time: datetime | None
    dataschema: str | None
    data: Event


MAX_EVENT_BYTES = 256 * 1024
"""The largest record value a consumer reads (an order with every field at its limit is a few
kilobytes): anything larger is dead-lettered unread, so no record can exhaust a consumer."""


class InvalidEventReason(StrEnum):
    """Why a message is not an event of this contract (machine-readable)."""

    NOT_JSON = "not_json"
    NOT_CLOUDEVENT = "not_cloudevent"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_DATA = "invalid_data"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem in a message: a dotted path (`data.items.0.quantity`, `type`), what is wrong."""

    field: str
    reason: str


class InvalidEventError(ValueError):
    """A message that is not a valid event of this contract. Consumers dead-letter it.

    `reason` is machine-readable; `str(error)` says in words what is wrong; `errors` lists the
    invalid fields of `data` (paths like `data.items.0.quantity`).
    """

    def __init__(
        self,
        reason: InvalidEventReason,
        detail: str,
        *,
        event_id: str | None = None,
        event_type: str | None = None,
        errors: Iterable[FieldError] = (),
    ) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.event_id = event_id
        self.event_type = event_type
        self.errors: tuple[FieldError, ...] = tuple(errors)

    def __repr__(self) -> str:
        return f"InvalidEventError(reason={self.reason.value!r}, detail={self.detail!r})"


def to_kafka(
    event: OrderEvent,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> KafkaRecord:
    """Wrap an event in a CloudEvent and encode it as a structured-mode Kafka record.

    `event_id` defaults to a new UUID and `time` to now (UTC). A producer that may publish the
    same event twice (an outbox relay) must pass the id it stored with the event, so consumers
    can deduplicate.
    """
    if time is not None and time.utcoffset() is None:
        raise ValueError("time must be timezone-aware (CloudEvents times are RFC 3339)")
    event_type = event.event_type()
    attributes: dict[str, object] = {
        "type": event_type,
        "source": source,
        "subject": event.order_id,
        "datacontenttype": DATA_CONTENT_TYPE,
        "dataschema": dataschema_uri(event_type),
    }
    if event_id is not None:
        attributes["id"] = event_id
    if time is not None:
        attributes["time"] = time
    cloud_event = CloudEvent(attributes, event.model_dump(mode="json"))
    message = ce_kafka.to_structured(cloud_event, _FORMAT, key_mapper=lambda _: event.order_id)
    headers = [(name, value) for name, value in message.headers.items()]
    headers.append((CE_TYPE_HEADER, event_type.encode()))
    headers.append((CE_ID_HEADER, cloud_event.get_id().encode()))
    return KafkaRecord(key=event.order_id.encode(), value=message.value, headers=headers)


def from_kafka(value: bytes) -> ReceivedEvent:
    """Parse a Kafka record value into the envelope and the typed event.

    Unknown fields inside `data` are ignored (tolerant reader: an additive, compatible change
    must not break an older subscriber). Anything else raises `InvalidEventError`: a value over
    `MAX_EVENT_BYTES`, nesting too deep for the parser, or any other failure to read it, so a
    consumer can dead-letter every record it cannot read instead of stalling its partition.
    """
    if len(value) > MAX_EVENT_BYTES:
        raise InvalidEventError(
            InvalidEventReason.TOO_LARGE,
            f"{len(value)} bytes; events of this contract are at most {MAX_EVENT_BYTES} bytes",
        )
    try:
        return _from_kafka(value)
    except InvalidEventError:
        raise
    except RecursionError as exc:
        raise InvalidEventError(
            InvalidEventReason.NOT_JSON, "not JSON this contract reads: nested too deeply"
        ) from exc
    except Exception as exc:  # untrusted bytes: whatever the SDK raises, the record is unreadable
        raise InvalidEventError(
            InvalidEventReason.NOT_CLOUDEVENT,
            f"not a CloudEvent: unreadable ({type(exc).__name__}: {exc})",
        ) from exc


def _from_kafka(value: bytes) -> ReceivedEvent:
    try:
        cloud_event = _FORMAT.read(CloudEvent, value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEventError(InvalidEventReason.NOT_JSON, f"not JSON: {exc}") from exc
    except CloudEventValidationError as exc:
        errors = [FieldError(name, str(problems[0])) for name, problems in exc.errors.items()]
        listed = "; ".join(f"{error.field}: {error.reason}" for error in errors)
        raise InvalidEventError(
            InvalidEventReason.NOT_CLOUDEVENT,
            f"not a CloudEvents 1.0 event: {listed}",
            errors=errors,
        ) from exc
    except (AttributeError, TypeError) as exc:
        # The SDK reads the attributes with dict methods: a JSON array, string or number fails so.
        raise InvalidEventError(
            InvalidEventReason.NOT_CLOUDEVENT,
            f"not a CloudEvent: expected a JSON object of CloudEvents attributes ({exc})",
        ) from exc
    except (ValueError, OverflowError) as exc:
        # dateutil rejecting `time`, or base64 rejecting `data_base64`.
        raise InvalidEventError(
            InvalidEventReason.NOT_CLOUDEVENT, f"not a CloudEvent: invalid attribute value: {exc}"
        ) from exc

    event_id, event_type = cloud_event.get_id(), cloud_event.get_type()
    model = EVENT_CLASSES.get(event_type)
    if model is None:
        raise InvalidEventError(
            InvalidEventReason.UNKNOWN_TYPE,
            f"unknown event type {event_type!r}; known types: {', '.join(sorted(EVENT_CLASSES))}",
            event_id=event_id,
            event_type=event_type,
        )
    data = cloud_event.get_data()
    if not isinstance(data, Mapping):
        raise InvalidEventError(
            InvalidEventReason.INVALID_DATA,
            f"{event_type}: `data` must be a JSON object, got {type(data).__name__}",
            event_id=event_id,
            event_type=event_type,
            errors=[FieldError("data", "must be a JSON object")],
        )
    try:
        event = model.model_validate(data, extra="ignore")
    except ValidationError as exc:
        errors = [
            FieldError(".".join(["data", *map(str, error["loc"])]), error["msg"])
            for error in exc.errors(include_url=False)
        ]
        listed = "; ".join(f"{error.field}: {error.reason}" for error in errors)
        raise InvalidEventError(
            InvalidEventReason.INVALID_DATA,
            f"{event_type}: invalid data: {listed}",
            event_id=event_id,
            event_type=event_type,
            errors=errors,
        ) from exc
    subject = cloud_event.get_subject()
    if subject is not None and subject != event.order_id:
        raise InvalidEventError(
            InvalidEventReason.INVALID_DATA,
            f"{event_type}: subject {subject!r} is not the data's order_id {event.order_id!r}",
            event_id=event_id,
            event_type=event_type,
            errors=[FieldError("subject", "must equal data.order_id")],
        )
    return ReceivedEvent(
        id=event_id,
        type=event_type,
        source=cloud_event.get_source(),
        subject=subject,
        time=cloud_event.get_time(),
        dataschema=cloud_event.get_dataschema(),
        data=cast("Event", event),
    )


def header_value(headers: Iterable[tuple[str, bytes]], name: str) -> str | None:
    """A header's text value from a Kafka record's headers (e.g. `ce_type` to filter cheaply)."""
    return next((value.decode() for key, value in headers if key == name), None)


__all__ = [
    "CE_ID_HEADER",
    "CE_TYPE_HEADER",
    "CHECKOUT_SOURCE",
    "FULFILMENT_SOURCE",
    "FieldError",
    "InvalidEventError",
    "InvalidEventReason",
    "KafkaRecord",
    "ReceivedEvent",
    "dataschema_uri",
    "from_kafka",
    "header_value",
    "to_kafka",
]
