"""Which listed orders a cart produced (`orders_of_cart`), values in and out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nceflow.partner_center import Cart, CartLineItem, Order, orders_of_cart
from nceflow.partner_center.models import OrderLineItem

MADE = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BASIC = "CFQ7TTC0LH18:0001:CFQ7TTC0K59S"
E3 = "CFQ7TTC0LFLX:0002:CFQ7TTC0K7PW"


def cart(*lines: tuple[str, int, str]) -> Cart:
    return Cart(
        id="cart-1",
        creation_timestamp=MADE,
        status="Ordered",
        line_items=[
            CartLineItem(
                id=n, catalog_item_id=item, quantity=qty, billing_cycle="monthly", term_duration=t
            )
            for n, (item, qty, t) in enumerate(lines)
        ],
    )


def order(order_id: str, at: datetime, *lines: tuple[str, int, str]) -> Order:
    return Order(
        id=order_id,
        creation_date=at,
        line_items=[
            OrderLineItem(line_item_number=n, offer_id=item, quantity=qty, term_duration=t)
            for n, (item, qty, t) in enumerate(lines)
        ],
    )


def test_the_order_made_after_the_cart_with_its_lines_is_the_carts() -> None:
    older = order("before", MADE - timedelta(hours=1), (BASIC, 3, "P1Y"))
    other = order("other-qty", MADE + timedelta(minutes=1), (BASIC, 4, "P1Y"))
    mine = order("mine", MADE + timedelta(minutes=2), (BASIC.lower(), 3, "P1Y"))
    found = orders_of_cart(cart((BASIC, 3, "P1Y")), [older, other, mine])
    assert [o.id for o in found or []] == ["mine"]


def test_one_order_per_order_group_all_needed() -> None:
    the_cart = cart((BASIC, 3, "P1Y"), (E3, 2, "P1M"))
    annual = order("annual", MADE + timedelta(minutes=1), (BASIC, 3, "P1Y"))
    monthly = order("monthly", MADE + timedelta(minutes=1, seconds=1), (E3, 2, "P1M"))
    assert orders_of_cart(the_cart, [annual]) is None  # the list lags: not all there yet
    assert [o.id for o in orders_of_cart(the_cart, [monthly, annual]) or []] == [
        "annual",
        "monthly",
    ]


def test_an_order_with_a_line_the_cart_lacks_is_not_the_carts() -> None:
    bigger = order("bigger", MADE + timedelta(minutes=1), (BASIC, 3, "P1Y"), (E3, 1, "P1Y"))
    other_term = order("p1m", MADE + timedelta(minutes=1), (BASIC, 3, "P1M"))
    assert orders_of_cart(cart((BASIC, 3, "P1Y")), [bigger, other_term]) is None


def test_a_little_clock_skew_between_cart_and_order_is_allowed() -> None:
    skewed = order("skewed", MADE - timedelta(minutes=2), (BASIC, 3, "P1Y"))
    naive = Order(
        id="naive",
        creation_date=(MADE + timedelta(minutes=1)).replace(tzinfo=None),
        line_items=[OrderLineItem(line_item_number=0, offer_id=BASIC, quantity=3)],
    )
    assert [o.id for o in orders_of_cart(cart((BASIC, 3, "P1Y")), [skewed]) or []] == ["skewed"]
    assert [o.id for o in orders_of_cart(cart((BASIC, 3, "P1Y")), [naive]) or []] == ["naive"]
    assert orders_of_cart(cart(), [skewed]) is None
