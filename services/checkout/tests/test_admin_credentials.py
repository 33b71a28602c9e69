"""Where a new tenant's admin password stands for the customer (the order's domain rule)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nceflow.checkout.domain.order import AdminCredentialsState, Order, OrderStatus

AT = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _order(status: OrderStatus, *, new_tenant: bool = True) -> Order:
    return Order(
        order_id="o-1",
        account_id="acme",
        reseller_id="adatum-direct",
        status=status,
        confirmed_at=AT,
        updated_at=AT,
        lines=(),
        totals=(),
        new_tenant=new_tenant,
    )


@pytest.mark.parametrize("status", list(OrderStatus))
def test_an_existing_tenant_never_has_an_admin_password(status: OrderStatus) -> None:
    assert _order(status, new_tenant=False).admin_credentials_state(waiting=True) is None


@pytest.mark.parametrize(
    ("status", "waiting", "expected"),
    [
        (OrderStatus.CONFIRMED, False, AdminCredentialsState.PENDING),
        (OrderStatus.PROCESSING, False, AdminCredentialsState.PENDING),
        (OrderStatus.PROCESSING, True, AdminCredentialsState.READY),
        (OrderStatus.PLACED, True, AdminCredentialsState.READY),
        # Placed, nothing waiting, never shown: it expired unseen (the reseller resets it).
        (OrderStatus.PLACED, False, AdminCredentialsState.UNAVAILABLE),
        # The tenant was created before the order failed: its admin still needs the password.
        (OrderStatus.FAILED, True, AdminCredentialsState.READY),
        (OrderStatus.FAILED, False, None),
    ],
)
def test_a_new_tenants_password_is_pending_then_ready_until_seen(
    status: OrderStatus, waiting: bool, expected: AdminCredentialsState | None
) -> None:
    assert _order(status).admin_credentials_state(waiting) is expected


@pytest.mark.parametrize("status", list(OrderStatus))
def test_once_shown_it_stays_shown(status: OrderStatus) -> None:
    shown = _order(status).admin_credentials_shown(AT)
    assert shown.admin_credentials_shown_at == AT
    assert shown.admin_credentials_state(waiting=False) is AdminCredentialsState.SHOWN
