"""The dead-letter topic's message shape: the original record, plus headers saying why.

A dead letter keeps the original value and headers byte for byte (so it can be replayed as is)
and adds `dlq_*` headers. These names are part of the contract the AsyncAPI document publishes.
"""

from __future__ import annotations

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

DLQ_HEADERS: Final = (DLQ_REASON, DLQ_DETAIL, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET, DLQ_FAILED_AT)

MAX_DETAIL_BYTES: Final = 1024


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
