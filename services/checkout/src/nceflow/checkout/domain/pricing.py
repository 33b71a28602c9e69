"""Pricing a cart from catalog quotes: which plans exist, which quantities are allowed, totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from nceflow.checkout.domain.errors import FieldProblem, InvalidStepData
from nceflow.checkout.domain.steps import CartItemInput


class Plan(BaseModel):
    """What one plan sells: the Partner Center catalog item, its term and billing, its price."""

    model_config = ConfigDict(frozen=True)

    plan_id: str
    title: str
    product_id: str
    sku_id: str
    availability_id: str
    catalog_item_id: str
    term: str
    billing_cycle: str
    unit_price: Decimal
    currency: str


class PlanQuote(Plan):
    """What the catalog says about one plan at the moment it was asked."""

    min_quantity: int
    max_quantity: int

    def line(self, quantity: int) -> CartLine:
        """This plan, `quantity` times, at the quoted price."""
        return CartLine(
            **{name: getattr(self, name) for name in Plan.model_fields}, quantity=quantity
        )


class CartLine(Plan):
    """One priced line of the draft's cart (stored with the draft: its fields are a format)."""

    quantity: int

    @property
    def amount(self) -> Decimal:
        """Price of the line per billing period."""
        return self.unit_price * self.quantity


class CartTotal(BaseModel):
    """The sum of the lines billed on one cycle (monthly and annual amounts are never added)."""

    model_config = ConfigDict(frozen=True)

    billing_cycle: str
    currency: str
    amount: Decimal


class PricedCart(BaseModel):
    """The cart as the customer reviews and buys it."""

    model_config = ConfigDict(frozen=True)

    lines: tuple[CartLine, ...] = Field(min_length=1)

    @property
    def totals(self) -> tuple[CartTotal, ...]:
        """Totals per billing cycle and currency, in the order the lines first name them."""
        sums: dict[tuple[str, str], Decimal] = {}
        for line in self.lines:
            key = (line.billing_cycle, line.currency)
            sums[key] = sums.get(key, Decimal(0)) + line.amount
        return tuple(
            CartTotal(billing_cycle=cycle, currency=currency, amount=amount)
            for (cycle, currency), amount in sums.items()
        )

    def same_prices(self, other: PricedCart) -> bool:
        """Whether `other` sells the same things at the same prices (what a review agreed to)."""
        return self.lines == other.lines


def price_cart(items: Sequence[CartItemInput], quotes: Mapping[str, PlanQuote]) -> PricedCart:
    """Price `items` from `quotes`; every unknown plan or out-of-range quantity is named."""
    problems: list[FieldProblem] = []
    lines: list[CartLine] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if item.plan_id in seen:
            problems.append(
                FieldProblem(
                    f"{where}.plan_id", f"plan {item.plan_id} is already in the cart", "duplicate"
                )
            )
            continue
        seen.add(item.plan_id)
        quote = quotes.get(item.plan_id)
        if quote is None:
            problems.append(
                FieldProblem(
                    f"{where}.plan_id", f"no plan {item.plan_id} in the catalog", "unknown_plan"
                )
            )
            continue
        if not quote.min_quantity <= item.quantity <= quote.max_quantity:
            problems.append(
                FieldProblem(
                    f"{where}.quantity",
                    f"{quote.title} is sold in quantities from {quote.min_quantity} "
                    f"to {quote.max_quantity}",
                    "quantity_out_of_range",
                )
            )
            continue
        lines.append(quote.line(item.quantity))
    if problems:
        raise InvalidStepData("Some cart items cannot be sold as asked.", tuple(problems))
    currencies = {line.currency for line in lines}
    if len(currencies) > 1:
        raise InvalidStepData(
            "A cart is priced in one currency.",
            (
                FieldProblem(
                    "items",
                    f"plans are priced in {', '.join(sorted(currencies))}",
                    "mixed_currencies",
                ),
            ),
        )
    return PricedCart(lines=tuple(lines))
