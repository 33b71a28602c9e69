"""Logging setup: libraries that log every HTTP request stay quiet unless debugging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from nceflow.runtime.logging import configure_logging


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    before = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)
    structlog.reset_defaults()  # the rest of the session logs as before


def test_httpx_request_lines_are_off_at_info() -> None:
    configure_logging(json=True, level="INFO")
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)


def test_httpx_speaks_again_at_debug() -> None:
    configure_logging(json=True, level="DEBUG")
    assert logging.getLogger("httpx").isEnabledFor(logging.INFO)
