"""Typed errors of Partner Center calls, built from Microsoft's error body.

Microsoft answers errors with `{"code": 600008, "description": "…", "data": [...], "source": "…"}`
and throttling with `{"statusCode": 429, "message": "…"}` plus `Retry-After`. Each error carries the
HTTP status, Microsoft's code and description, the `MS-RequestId` of the call and whether it is
worth retrying. Messages never contain tokens or secrets: only what Microsoft sent back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the wire module raises these errors: import its type only
    from nceflow.partner_center.wire import WireResponse


ALREADY_SUBMITTED = 800065


class ErrorKind(StrEnum):
    """What a Partner Center error means for nceflow ("Partner Center REST error codes")."""

    MCA_NOT_ACCEPTED = "mca_not_accepted"  # 13605: attest MCA, then retry once
    NO_RELATIONSHIP = "no_relationship"  # 20002: customer must accept the reseller link
    AVAILABILITY_GONE = "availability_gone"  # 400019: the plan changed in the catalog
    ORDER_IN_PROGRESS = "order_in_progress"  # 800060: poll, never resubmit
    CART_IN_FLIGHT = "cart_in_flight"  # 800064/800065: read the cart, Ordered = done
    LIMIT_EXCEEDED = "limit_exceeded"  # 800088/800089/800066/800067
    INDIRECT_PARTICIPANT_MISSING = "indirect_participant_missing"  # 900206: our bug
    THROTTLED = "throttled"
    TRANSIENT = "transient"  # 5xx, timeouts, connection errors
    BAD_REQUEST = "bad_request"  # 600008 and any other 4xx
    UNKNOWN = "unknown"


_KIND_BY_CODE: dict[int, ErrorKind] = {
    13605: ErrorKind.MCA_NOT_ACCEPTED,
    20002: ErrorKind.NO_RELATIONSHIP,
    400019: ErrorKind.AVAILABILITY_GONE,
    800060: ErrorKind.ORDER_IN_PROGRESS,
    800064: ErrorKind.CART_IN_FLIGHT,
    800065: ErrorKind.CART_IN_FLIGHT,
    800066: ErrorKind.LIMIT_EXCEEDED,
    800067: ErrorKind.LIMIT_EXCEEDED,
    800088: ErrorKind.LIMIT_EXCEEDED,
    800089: ErrorKind.LIMIT_EXCEEDED,
    900206: ErrorKind.INDIRECT_PARTICIPANT_MISSING,
    600008: ErrorKind.BAD_REQUEST,
}


class PartnerCenterError(Exception):
    """Base of every error a Partner Center call raises."""

    retryable: bool = False

    def __init__(
        self,
        description: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        request_id: str | None = None,
        call_correlation_id: str | None = None,
        data: list[Any] | None = None,
        source: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.description = description
        # Seconds Microsoft asked us to wait (429, sometimes 503); None when it did not say.
        self.retry_after = retry_after
        self.status = status
        self.code = code
        self.request_id = request_id
        # The call's own MS-CorrelationId (new for every call): what Microsoft support asks for.
        self.call_correlation_id = call_correlation_id
        self.data = data or []
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"HTTP {self.status}" if self.status is not None else "no response"
        code = f" code {self.code}" if self.code is not None else ""
        request = f" (MS-RequestId {self.request_id})" if self.request_id else ""
        if self.call_correlation_id:
            request += f" (MS-CorrelationId {self.call_correlation_id})"
        return f"{head}{code}: {self.description}{request}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"description={self.description!r}, request_id={self.request_id!r})"
        )

    @property
    def kind(self) -> ErrorKind:
        """The documented meaning of this error for nceflow."""
        return classify(self)


class PartnerCenterBadRequestError(PartnerCenterError):
    """400 (and other 4xx without a more specific class): fix the request, never retry."""


class PartnerCenterAuthenticationError(PartnerCenterError):
    """401, or Entra ID refused to issue a token."""


class PartnerCenterForbiddenError(PartnerCenterError):
    """403: e.g. 13605 (MCA missing) or 20002 (no reseller relationship)."""


class PartnerCenterNotFoundError(PartnerCenterError):
    """404: the resource does not exist (400019: availability no longer valid)."""


class PartnerCenterConflictError(PartnerCenterError):
    """409: e.g. 800060 order in progress, 800064/800065 cart processed/submitted."""


class PartnerCenterThrottledError(PartnerCenterError):
    """429: wait `retry_after` seconds before the next call."""

    retryable = True


class PartnerCenterServerError(PartnerCenterError):
    """5xx: Microsoft failed; retry with backoff (the call may or may not have taken effect)."""

    retryable = True


class PartnerCenterTimeoutError(PartnerCenterError):
    """No answer in time: the call may or may not have taken effect."""

    retryable = True


class PartnerCenterConnectionError(PartnerCenterError):
    """The connection failed or was dropped."""

    retryable = True

    def __init__(self, description: str, *, request_sent: bool = True, **kw: Any) -> None:
        # A failed connect means the request never left: safe to retry even for checkout.
        self.request_sent = request_sent
        super().__init__(description, **kw)


class PartnerCenterConfigurationError(PartnerCenterError):
    """The client is not configured for this call (e.g. App+User without a refresh token)."""


class CheckoutOutcomeUnknownError(PartnerCenterError):
    """A checkout could not be confirmed either way within the retry budget.

    The cart may or may not have been ordered: callers must read the cart again later with the
    same `MS-RequestId`, never create a new cart. `cart_ordered`: the cart reads `Ordered` (the
    order exists) but its orders are not in the customer's order list yet.
    """

    retryable = True

    def __init__(self, description: str, *, cart_ordered: bool = False, **kw: Any) -> None:
        self.cart_ordered = cart_ordered
        super().__init__(description, **kw)


def _int_code(code: Any) -> int | str | None:
    if code is None:
        return None
    if isinstance(code, int):
        return code
    text = str(code).strip()
    return int(text) if text.isdigit() else text


def classify(error: PartnerCenterError) -> ErrorKind:
    """Map an error to its documented meaning (status first for throttling and 5xx)."""
    if isinstance(error, PartnerCenterThrottledError):
        return ErrorKind.THROTTLED
    if isinstance(error, PartnerCenterServerError | PartnerCenterTimeoutError):
        return ErrorKind.TRANSIENT
    if isinstance(error, PartnerCenterConnectionError):
        return ErrorKind.TRANSIENT
    if isinstance(error.code, int) and error.code in _KIND_BY_CODE:
        return _KIND_BY_CODE[error.code]
    if error.status is not None and 400 <= error.status < 500:
        return ErrorKind.BAD_REQUEST
    return ErrorKind.UNKNOWN


def is_mca_not_accepted(error: BaseException) -> bool:
    """13605: the customer has neither attested nor accepted the MCA."""
    return isinstance(error, PartnerCenterError) and error.kind is ErrorKind.MCA_NOT_ACCEPTED


def is_relationship_missing(error: BaseException) -> bool:
    """20002: no commerce (reseller) relationship with the customer."""
    return isinstance(error, PartnerCenterError) and error.kind is ErrorKind.NO_RELATIONSHIP


def is_availability_gone(error: BaseException) -> bool:
    """400019: the availability id is no longer valid; refresh the catalog entry."""
    return isinstance(error, PartnerCenterError) and error.kind is ErrorKind.AVAILABILITY_GONE


def is_order_in_progress(error: BaseException) -> bool:
    """800060: an order is being placed; poll, never submit a new cart."""
    return isinstance(error, PartnerCenterError) and error.kind is ErrorKind.ORDER_IN_PROGRESS


def is_already_submitted(error: BaseException) -> bool:
    """800065: "Can't check out an already submitted cart" (Partner Center does not repeat the
    first checkout's result this time)."""
    return isinstance(error, PartnerCenterError) and str(error.code) == str(ALREADY_SUBMITTED)


def is_cart_in_flight(error: BaseException) -> bool:
    """800064/800065: the cart is being processed or was already submitted: read it."""
    return isinstance(error, PartnerCenterError) and error.kind is ErrorKind.CART_IN_FLIGHT


def is_limit_exceeded(error: BaseException) -> bool:
    """800088/800089/800066/800067: a seat, asset or subscription-count limit."""
    return isinstance(error, PartnerCenterError) and error.kind is ErrorKind.LIMIT_EXCEEDED


def is_indirect_participant_missing(error: BaseException) -> bool:
    """900206: a cart without the PoR attestation (required on every cart), or an indirect one
    without its reseller participant (our bug)."""
    return (
        isinstance(error, PartnerCenterError)
        and error.kind is ErrorKind.INDIRECT_PARTICIPANT_MISSING
    )


def is_retryable(error: BaseException) -> bool:
    """Whether retrying the same call (same MS-RequestId) may succeed."""
    return isinstance(error, PartnerCenterError) and error.retryable


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (Microsoft sends seconds; an HTTP date is also accepted)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_CLASS_BY_STATUS: dict[int, type[PartnerCenterError]] = {
    400: PartnerCenterBadRequestError,
    401: PartnerCenterAuthenticationError,
    403: PartnerCenterForbiddenError,
    404: PartnerCenterNotFoundError,
    409: PartnerCenterConflictError,
}


def error_from_response(
    response: WireResponse, *, request_id: str, call_correlation_id: str | None = None
) -> PartnerCenterError:
    """Build the typed error for a non-success response from Microsoft's body."""
    status = response.status
    body: Any
    try:
        body = json.loads(response.content) if response.content else {}
    except ValueError:  # not JSON, or not UTF-8
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = _int_code(body.get("code", body.get("errorCode")))
    description = str(
        body.get("description")
        or body.get("message")
        or body.get("errorDescription")
        or response.reason
        or "error"
    )
    data = body.get("data") if isinstance(body.get("data"), list) else None
    source = body.get("source") if isinstance(body.get("source"), str) else None
    common: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": request_id,
        "call_correlation_id": call_correlation_id,
        "data": data,
        "source": source,
    }
    if status == 429:
        return PartnerCenterThrottledError(
            description,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            **common,
        )
    if status >= 500:
        return PartnerCenterServerError(description, **common)
    cls = _CLASS_BY_STATUS.get(status, PartnerCenterBadRequestError)
    return cls(description, **common)
