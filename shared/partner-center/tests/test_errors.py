"""Microsoft's error bodies become typed, classified exceptions."""

from __future__ import annotations

import httpx
import pytest

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


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


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


def test_server_error_without_json_body_is_retryable() -> None:
    error = error_from_response(httpx.Response(503, text="<html>busy</html>"), request_id="r")
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
