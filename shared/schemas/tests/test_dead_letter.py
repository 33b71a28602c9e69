"""Dead-letter headers keep the original record's headers and say why, once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from nceflow.schemas.dead_letter import (
    DLQ_DETAIL,
    DLQ_FAILED_AT,
    DLQ_ORIGINAL_SHA256,
    DLQ_ORIGINAL_SIZE,
    DLQ_REASON,
    MAX_DETAIL_BYTES,
    TRUNCATED_HEADERS_BYTES,
    TRUNCATED_VALUE_BYTES,
    dead_letter_headers,
    truncated_dead_letter,
)


def test_original_headers_are_kept_and_the_reason_added() -> None:
    original = [("ce_type", b"com.nceflow.checkout.OrderConfirmed.v1"), ("x", b"1")]
    headers = dead_letter_headers(
        original,
        reason="invalid_data",
        detail="data.items: too short",
        topic="nce.checkout.order-events.v1",
        partition=3,
        offset=42,
        failed_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )
    assert headers[:2] == original
    as_dict = dict(headers)
    assert as_dict[DLQ_REASON] == b"invalid_data"
    assert as_dict["dlq_partition"] == b"3"
    assert as_dict["dlq_offset"] == b"42"
    assert as_dict[DLQ_FAILED_AT] == b"2026-11-25T12:00:00Z"


def test_a_record_dead_lettered_again_keeps_only_the_latest_reason() -> None:
    first = dead_letter_headers([], reason="not_json", detail="a", topic="t", partition=0, offset=1)
    second = dead_letter_headers(
        first, reason="handler_failed", detail="b", topic="t", partition=0, offset=9
    )
    assert [value for key, value in second if key == DLQ_REASON] == [b"handler_failed"]


def test_long_detail_is_cut_on_a_character_boundary() -> None:
    headers = dead_letter_headers(
        [], reason="r", detail="é" * MAX_DETAIL_BYTES, topic="t", partition=0, offset=0
    )
    detail = dict(headers)[DLQ_DETAIL]
    assert len(detail) <= MAX_DETAIL_BYTES
    assert detail.decode() == "é" * (MAX_DETAIL_BYTES // 2)


def test_a_truncated_dead_letter_keeps_its_start_size_hash_and_reason() -> None:
    value = b"x" * (TRUNCATED_VALUE_BYTES * 4)
    headers = dead_letter_headers(
        [("x-trace", b"42"), ("x-big", b"y" * (TRUNCATED_HEADERS_BYTES * 2))],
        reason="not_json",
        detail="not JSON",
        topic="t",
        partition=0,
        offset=7,
    )
    cut, cut_headers = truncated_dead_letter(value, headers)
    assert cut == value[:TRUNCATED_VALUE_BYTES]
    named = dict(cut_headers)
    assert named[DLQ_ORIGINAL_SIZE] == str(len(value)).encode()
    assert named[DLQ_ORIGINAL_SHA256] == hashlib.sha256(value).hexdigest().encode()
    assert named[DLQ_REASON] == b"not_json"
    assert named["x-trace"] == b"42"
    assert "x-big" not in named
