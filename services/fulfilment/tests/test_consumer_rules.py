"""Which checkout event types fulfilment skips (no servers: the rule alone)."""

from __future__ import annotations

import pytest

from nceflow.fulfilment.consumer import skipped
from nceflow.schemas import FulfilmentStarted, OrderAbandoned, OrderConfirmed, StepCompleted


@pytest.mark.parametrize(
    ("event_type", "skip"),
    [
        (StepCompleted.event_type(), True),
        (OrderAbandoned.event_type(), True),
        ("com.nceflow.checkout.OrderRepriced.v1", True),  # a newer checkout's event
        ("com.nceflow.checkout.StepCompleted.v2", True),
        (OrderConfirmed.event_type(), False),  # the one fulfilment reads
        ("com.nceflow.checkout.OrderConfirmed.v2", False),  # an order it cannot read: kept
        (FulfilmentStarted.event_type(), False),  # not checkout's: does not belong here
        ("com.example.Other.v1", False),
        (None, False),  # no header: the value decides
    ],
)
def test_checkout_types_fulfilment_has_no_use_for_are_skipped(
    event_type: str | None, skip: bool
) -> None:
    assert skipped(event_type) is skip
