"""Which of a customer's orders a cart produced, for a checkout Partner Center will not repeat.

"Check out an order for a customer" says a repeated checkout returns the first result, but the
error table also lists 800065 ("Can't check out an already submitted cart"): then the cart reads
`Ordered` and the only way to its orders is the customer's order list ("Get all of a customer's
orders"), which may lag the checkout by minutes. Microsoft's orders do not name their cart, so an
order is the cart's when it was created after the cart and each of its lines is one of the
cart's lines (`offerId` = the line's `catalogItemId`, same quantity and term). A cart with
several order groups makes one order per group; all of them are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from nceflow.partner_center.models import Cart, CartLineItem, Order, OrderLineItem

# Partner Center stamps the cart and its orders with its own clock; this much earlier still
# counts (a cart's creationTimestamp and an order's creationDate are written by two services).
CLOCK_SKEW = timedelta(minutes=5)

_Line = tuple[str, int, str]


def _cart_line(line: CartLineItem) -> _Line:
    return line.catalog_item_id.lower(), line.quantity, (line.term_duration or "").upper()


def _order_line(line: OrderLineItem) -> _Line:
    return line.offer_id.lower(), line.quantity, (line.term_duration or "").upper()


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _aware(moment: datetime | None) -> datetime | None:
    # Microsoft's samples write some timestamps without an offset; they are UTC.
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _same(cart_line: _Line, order_line: _Line) -> bool:
    # An order line without a term (older answers) matches on offer and quantity.
    return cart_line[:2] == order_line[:2] and (not order_line[2] or cart_line[2] == order_line[2])


def orders_of_cart(cart: Cart, orders: Sequence[Order]) -> list[Order] | None:
    """The orders the cart produced, oldest first, or None when the list does not show all of
    them (yet). Orders from before the cart, or with a line the cart lacks, are never taken."""
    wanted = [_cart_line(line) for line in cart.line_items]
    if not wanted:
        return None
    created = _aware(cart.creation_timestamp)
    since = created - CLOCK_SKEW if created else _EPOCH
    candidates = sorted(
        (
            order
            for order in orders
            if order.line_items and (_aware(order.creation_date) or _EPOCH) >= since
        ),
        key=lambda order: _aware(order.creation_date) or _EPOCH,
    )
    left = list(wanted)
    found: list[Order] = []
    for order in candidates:
        remaining = list(left)
        for line in map(_order_line, order.line_items):
            match = next((w for w in remaining if _same(w, line)), None)
            if match is None:
                break
            remaining.remove(match)
        else:
            found.append(order)
            left = remaining
            if not left:
                return found
    return None
