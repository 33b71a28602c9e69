"""Microsoft's error bodies become typed, classified exceptions."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from nceflow.partner_center import (
    ErrorKind,
    PartnerCenterBadRequestError,
    PartnerCenterConflictError,
    PartnerCenterForbiddenError,
    PartnerCenterNotFoundError,
    PartnerCenterServerError,
    PartnerCenterThrottledError,
    is_availability_gone,
    is_cart_in_flight,
    is_indirect_participant_missing,
    is_limit_exceeded,
    is_mca_not_accepted,
    is_order_in_progress,
    is_relationship_missing,
    is_retryable,
)
from nceflow.partner_center.errors import error_from_response, parse_retry_after
from nceflow.partner_center.wire import WireResponse, encode_json


def _response(
    status: int,
    body: object,
    headers: dict[str, str] | None = None,
    *,
    content: bytes | None = None,
    reason: str = "",
) -> WireResponse:
    """An answer as `AiohttpWire` hands it over (case-insensitive headers, the body read)."""
    return WireResponse(
        status,
        CIMultiDictProxy(CIMultiDict(headers or {})),
        encode_json(body) if content is None else content,
        reason,
    )


@pytest.mark.parametrize(
    ("status", "code", "cls", "kind"),
    [
        (403, 13605, PartnerCenterForbiddenError, ErrorKind.MCA_NOT_ACCEPTED),
        (403, 20002, PartnerCenterForbiddenError, ErrorKind.NO_RELATIONSHIP),
        (404, 400019, PartnerCenterNotFoundError, ErrorKind.AVAILABILITY_GONE),
        (409, 800060, PartnerCenterConflictError, ErrorKind.ORDER_IN_PROGRESS),
        (409, 800064, PartnerCenterConflictError, ErrorKind.CART_IN_FLIGHT),
        (409, 800065, PartnerCenterConflictError, ErrorKind.CART_IN_FLIGHT),
        (400, 800088, PartnerCenterBadRequestError, ErrorKind.LIMIT_EXCEEDED),
        (400, 800089, PartnerCenterBadRequestError, ErrorKind.LIMIT_EXCEEDED),
        (400, 800066, PartnerCenterBadRequestError, ErrorKind.LIMIT_EXCEEDED),
        (400, 800067, PartnerCenterBadRequestError, ErrorKind.LIMIT_EXCEEDED),
        (400, 900206, PartnerCenterBadRequestError, ErrorKind.INDIRECT_PARTICIPANT_MISSING),
        (400, 600008, PartnerCenterBadRequestError, ErrorKind.BAD_REQUEST),
        (422, 123456, PartnerCenterBadRequestError, ErrorKind.BAD_REQUEST),
    ],
)
def test_error_body_maps_to_class_and_kind(
    status: int, code: int, cls: type[Exception], kind: ErrorKind
) -> None:
    body = {"code": code, "description": "it failed", "data": ["x"], "source": "PartnerFD"}
    error = error_from_response(_response(status, body), request_id="rid-1")
    assert type(error) is cls
    assert (error.status, error.code, error.description) == (status, code, "it failed")
    assert (error.request_id, error.data, error.source) == ("rid-1", ["x"], "PartnerFD")
    assert error.kind is kind
    assert not error.retryable


def test_code_sent_as_string_is_still_classified() -> None:
    error = error_from_response(
        _response(403, {"code": "13605", "description": "MCA"}), request_id="r"
    )
    assert error.code == 13605
    assert is_mca_not_accepted(error)


def test_helpers_recognise_only_their_code() -> None:
    def make(status: int, code: int) -> BaseException:
        return error_from_response(
            _response(status, {"code": code, "description": "d"}), request_id="r"
        )

    checks = [
        (is_mca_not_accepted, make(403, 13605)),
        (is_relationship_missing, make(403, 20002)),
        (is_availability_gone, make(404, 400019)),
        (is_order_in_progress, make(409, 800060)),
        (is_cart_in_flight, make(409, 800065)),
        (is_limit_exceeded, make(400, 800088)),
        (is_indirect_participant_missing, make(400, 900206)),
    ]
    for helper, matching in checks:
        assert helper(matching), helper.__name__
        others = [e for h, e in checks if h is not helper]
        assert not any(helper(e) for e in others), helper.__name__
    assert not is_mca_not_accepted(ValueError("not ours"))


def test_throttling_body_and_retry_after() -> None:
    body = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 7 seconds."}
    error = error_from_response(_response(429, body, {"Retry-After": "7"}), request_id="r")
    assert isinstance(error, PartnerCenterThrottledError)
    assert error.retry_after == 7.0
    assert error.description.startswith("Rate limit is exceeded")
    assert error.retryable
    assert is_retryable(error)
    assert error.kind is ErrorKind.THROTTLED


def test_retry_after_is_read_whatever_the_header_case() -> None:
    # HTTP/2 and many proxies send header names in lower case.
    body = {"statusCode": 429, "message": "Rate limit is exceeded."}
    error = error_from_response(_response(429, body, {"retry-after": "3"}), request_id="r")
    assert isinstance(error, PartnerCenterThrottledError)
    assert error.retry_after == 3.0


def test_an_empty_error_body_is_described_by_the_reason_phrase() -> None:
    error = error_from_response(
        _response(502, None, content=b"", reason="Bad Gateway"), request_id="r"
    )
    assert isinstance(error, PartnerCenterServerError)
    assert error.description == "Bad Gateway"
    assert error.code is None


def test_server_error_without_json_body_is_retryable() -> None:
    html = _response(
        503,
        None,
        {"Content-Type": "text/html"},
        content=b"<html>busy</html>",
        reason="Service Unavailable",
    )
    error = error_from_response(html, request_id="r")
    assert isinstance(error, PartnerCenterServerError)
    assert error.retryable
    assert error.kind is ErrorKind.TRANSIENT
    assert "503" in str(error)
    assert "MS-RequestId r" in str(error)


def test_parse_retry_after_accepts_seconds_and_rejects_garbage() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a past date: go now
