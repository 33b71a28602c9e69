"""Wall-clock time, injectable: every service reads "now" through one `Clock`.

Domain code takes a `Clock` (default `utc_now`) so that a test can put it anywhere in time;
Partner Center's own dates decide what a customer may do, this clock only when we act.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], datetime]
"""A source of timezone-aware UTC datetimes."""


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)
