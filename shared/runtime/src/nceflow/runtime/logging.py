"""Structured logging: JSON in production, readable in dev; no secrets, no contact data."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values must never reach a log line, whatever a caller passes.
_REDACTED_KEYS = frozenset(
    {
        "authorization",
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "token",
        "email",
        "phone",
        "phone_number",
        "first_name",
        "last_name",
    }
)


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event_dict.keys() & _REDACTED_KEYS:
        event_dict[key] = "[redacted]"
    return event_dict


_CHATTY_LIBRARIES = ("httpx", "httpcore")


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    """Configure structlog and the stdlib root logger once per process."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    # httpx logs every request at INFO ("HTTP Request: GET ... 200"): a line per Partner Center
    # or catalog call, and its CPU, in every service. Our clients log what matters themselves;
    # at DEBUG the libraries speak again.
    chatty_level = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for chatty in _CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(chatty_level)
