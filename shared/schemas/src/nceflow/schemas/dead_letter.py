"""The dead-letter topic's message shape: the original record, plus headers saying why.

A dead letter keeps the original value and headers byte for byte (so it can be replayed as is)
and adds `dlq_*` headers. A record too large to be dead-lettered whole (with those headers, over
the producer's or broker's limit) is dead-lettered truncated instead, with its original size and
SHA-256. These names are part of the contract the AsyncAPI document publishes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

DLQ_REASON: Final = "dlq_reason"
"""Machine-readable reason, e.g. an `InvalidEventReason` value or `handler_failed`."""
DLQ_DETAIL: Final = "dlq_detail"
"""What is wrong, in words (no personal data)."""
DLQ_TOPIC: Final = "dlq_topic"
"""Topic the original record was read from."""
DLQ_PARTITION: Final = "dlq_partition"
"""Partition of the original record (decimal)."""
DLQ_OFFSET: Final = "dlq_offset"
"""Offset of the original record (decimal)."""
DLQ_FAILED_AT: Final = "dlq_failed_at"
"""When the record was dead-lettered (RFC 3339, UTC)."""

DLQ_ORIGINAL_SIZE: Final = "dlq_original_size"
"""Only on a truncated dead letter: the original value's size in bytes (decimal)."""
DLQ_ORIGINAL_SHA256: Final = "dlq_original_sha256"
"""Only on a truncated dead letter: the original value's SHA-256 (hex)."""

DLQ_HEADERS: Final = (
    DLQ_REASON,
    DLQ_DETAIL,
    DLQ_TOPIC,
    DLQ_PARTITION,
    DLQ_OFFSET,
    DLQ_FAILED_AT,
    DLQ_ORIGINAL_SIZE,
    DLQ_ORIGINAL_SHA256,
)

MAX_DETAIL_BYTES: Final = 1024
TRUNCATED_VALUE_BYTES: Final = 16 * 1024
"""How much of a value too large for the dead-letter topic is kept (its start)."""
TRUNCATED_HEADERS_BYTES: Final = 16 * 1024
"""The original headers a truncated dead letter keeps, in order, up to this many bytes."""


def dead_letter_headers(
    original: Iterable[tuple[str, bytes]],
    *,
    reason: str,
    detail: str,
    topic: str,
    partition: int,
    offset: int,
    failed_at: datetime | None = None,
) -> list[tuple[str, bytes]]:
    """The headers of a dead letter: the original ones (minus stale `dlq_*`) and the why.

    A record dead-lettered twice (replayed, failed again) keeps only the latest reason.
    """
    when = (failed_at or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    headers = [(key, value) for key, value in original if key not in DLQ_HEADERS]
    headers += [
        (DLQ_REASON, reason.encode()),
        (DLQ_DETAIL, _truncate_utf8(detail, MAX_DETAIL_BYTES)),
        (DLQ_TOPIC, topic.encode()),
        (DLQ_PARTITION, str(partition).encode()),
        (DLQ_OFFSET, str(offset).encode()),
        (DLQ_FAILED_AT, when.encode()),
    ]
    return headers


def _truncate_utf8(text: str, limit: int) -> bytes:
    """At most `limit` bytes of UTF-8, never cutting a character in half."""
    return text.encode()[:limit].decode(errors="ignore").encode()


def truncated_dead_letter(
    value: bytes | None, headers: list[tuple[str, bytes]]
) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    """A dead letter cut to fit: the start of `value` and of the original headers (the `dlq_*`
    ones always kept), plus the original value's size and SHA-256."""
    original = value or b""
    ours = [(key, v) for key, v in headers if key in DLQ_HEADERS]
    kept: list[tuple[str, bytes]] = []
    budget = TRUNCATED_HEADERS_BYTES
    for key, v in headers:
        if key in DLQ_HEADERS:
            continue
        budget -= len(key) + len(v)
        if budget < 0:
            break
        kept.append((key, v))
    ours += [
        (DLQ_ORIGINAL_SIZE, str(len(original)).encode()),
        (DLQ_ORIGINAL_SHA256, hashlib.sha256(original).hexdigest().encode()),
    ]
    cut = None if value is None else value[:TRUNCATED_VALUE_BYTES]
    return cut, kept + ours
