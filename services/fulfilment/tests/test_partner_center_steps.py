"""How Microsoft's documented errors become saga signals (values in, values out: no server).

The 13605 mapping is checked here value by value; a refused MCA attestation (the simulator's
`error` fault) runs against the simulator in `test_mca_refused.py`, the other cases in
`test_failures.py`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nceflow.fulfilment.adapters.partner_center_steps import (
    OrderProgress,
    order_error,
    order_progress,
)
from nceflow.fulfilment.domain.failures import MCA_LINK
from nceflow.fulfilment.domain.outcomes import (
    AvailabilityGone,
    McaNotOnRecord,
    StepFailed,
    StepRetryable,
)
from nceflow.partner_center import (
    PartnerCenterBadRequestError,
    PartnerCenterForbiddenError,
    PartnerCenterNotFoundError,
    PartnerCenterServerError,
    PartnerCenterThrottledError,
)
from nceflow.schemas import ErrorSource, FulfilmentStep

CART = FulfilmentStep.CART_CREATED
CHECKOUT = FulfilmentStep.CHECKED_OUT


def test_mca_missing_at_checkout_asks_to_attest_again_with_the_mca_link_as_fallback() -> None:
    error = PartnerCenterForbiddenError("MCA missing", status=403, code=13605)
    signal = order_error(error, CHECKOUT)
    assert isinstance(signal, McaNotOnRecord)
    assert signal.failure.code == "13605"
    assert signal.failure.code_source is ErrorSource.PARTNER_CENTER
    assert signal.failure.action_url == MCA_LINK
    assert signal.failure.retryable is True


def test_no_relationship_fails_with_the_relationship_link() -> None:
    error = PartnerCenterForbiddenError("no relationship", status=403, code=20002)
    signal = order_error(error, CART, relationship_link="https://admin.microsoft.com/x")
    assert isinstance(signal, StepFailed)
    assert signal.failure.code == "20002"
    assert signal.failure.action_url == "https://admin.microsoft.com/x"


@pytest.mark.parametrize("step", [CART, CHECKOUT])
@pytest.mark.parametrize("code", [400013, 400018, 400019])
def test_an_unknown_catalog_item_is_read_again_not_a_dead_end(
    code: int, step: FulfilmentStep
) -> None:
    """404 / 400013, 400018, 400019 at the cart or the checkout: re-read the availability; the
    failure to report if that was done already keeps Microsoft's code."""
    signal = order_error(PartnerCenterNotFoundError("gone", status=404, code=code), step)
    assert isinstance(signal, AvailabilityGone)
    assert signal.failure.code == str(code)
    assert "no longer available" in signal.failure.reason
    assert signal.failure.retryable is False


def test_another_not_found_is_not_a_catalog_change() -> None:
    signal = order_error(PartnerCenterNotFoundError("no customer", status=404, code=600009), CART)
    assert isinstance(signal, StepFailed)
    assert signal.failure.code == "600009"


def test_throttling_is_retryable_after_retry_after() -> None:
    error = PartnerCenterThrottledError("slow down", status=429, retry_after=7)
    signal = order_error(error, CHECKOUT)
    assert isinstance(signal, StepRetryable)
    assert signal.retry_after == timedelta(seconds=7)


def test_server_errors_are_retryable_and_other_4xx_are_not() -> None:
    assert isinstance(order_error(PartnerCenterServerError("x", status=503), CART), StepRetryable)
    bad = order_error(PartnerCenterBadRequestError("x", status=400, code=600008), CART)
    assert isinstance(bad, StepFailed)
    assert bad.failure.code == "600008"
    assert bad.failure.retryable is False


@pytest.mark.parametrize(
    ("status", "progress"),
    [
        ("completed", OrderProgress.COMPLETED),
        ("Completed", OrderProgress.COMPLETED),
        ("error", OrderProgress.ENDED),
        ("cancelled", OrderProgress.ENDED),
        ("partial success", OrderProgress.PARTIAL),
        ("partialSuccess", OrderProgress.PARTIAL),
        ("pending", OrderProgress.OPEN),
        ("pending review", OrderProgress.OPEN),
        ("suspended", OrderProgress.OPEN),
        ("po_upload_complete", OrderProgress.OPEN),
        ("something new", OrderProgress.OPEN),
        (None, OrderProgress.OPEN),
    ],
)
def test_every_order_status_has_a_meaning(status: str | None, progress: OrderProgress) -> None:
    """ "Order resources" (`OrderStatus`): only `completed` is done; `error`, `cancelled` and
    `partial success` end the order with something to buy again; anything else is followed."""
    assert order_progress(status) is progress
