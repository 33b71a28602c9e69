"""How values read on the page: money, terms, billing cycles. Display only, no business rules."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from fastapi.templating import Jinja2Templates

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}

TERM_LABELS = {"P1M": "1 month", "P1Y": "1 year", "P3Y": "3 years"}
BILLING_CYCLE_LABELS = {"monthly": "Monthly", "annual": "Annual", "triennial": "Triennial"}
PERIOD_LABELS = {"monthly": "month", "annual": "year", "triennial": "3 years"}


def money(amount: object, currency: str) -> str:
    """`amount` in `currency`, two decimals, e.g. `$7.20` or `12.50 CHF`."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return f"{amount} {currency}"
    symbol = _CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{value:,}" if symbol else f"{value:,} {currency}"


def term_label(term: str) -> str:
    """`P1Y` → `1 year`."""
    return TERM_LABELS.get(term, term)


def billing_cycle_label(cycle: str) -> str:
    """`monthly` → `Monthly`."""
    return BILLING_CYCLE_LABELS.get(cycle, cycle.capitalize())


def period_label(cycle: str) -> str:
    """What one billing period is called: `monthly` → `month`."""
    return PERIOD_LABELS.get(cycle, cycle)


def register_filters(templates: Jinja2Templates) -> None:
    """Make the helpers above usable in every template."""
    templates.env.filters.update(
        money=money, term=term_label, billing_cycle=billing_cycle_label, period=period_label
    )
