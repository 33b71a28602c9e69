"""An inspectable log of every request the simulator received (`GET /_sim/requests`).

It is the outermost ASGI layer, so it also sees requests that a fault answered or dropped.
Control (`/_sim/`) and health requests are not logged: the log is about what clients sent.
"""

from __future__ import annotations

import fnmatch
import itertools
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Per-request facts shared by the ASGI layers through the scope.
SCOPE_KEY = "nceflow.sim"
UNLOGGED_PREFIXES = ("/_sim/", "/healthz", "/readyz", "/docs", "/openapi.json")


class LoggedRequest(BaseModel):
    """One request as the simulator saw it."""

    seq: int
    at: float
    method: str
    path: str
    query: str
    ms_request_id: str | None
    ms_correlation_id: str | None
    partner: str | None
    status: int | None
    delivered: bool
    fault: str | None
    duration_ms: float


class RequestLog:
    """A bounded, append-only log of requests."""

    def __init__(self, size: int) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=size)
        self._seq = itertools.count(1)

    def clear(self) -> None:
        """Forget every entry (sequence numbers keep increasing)."""
        self._entries.clear()

    def append(self, **fields: Any) -> LoggedRequest:
        """Record one request."""
        entry = LoggedRequest(seq=next(self._seq), **fields)
        self._entries.append(entry)
        return entry

    def query(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        status: int | None = None,
        since: int | None = None,
    ) -> list[LoggedRequest]:
        """Entries matching every given filter; `path` is a glob such as `/v1/customers/*`."""
        entries: Iterable[LoggedRequest] = self._entries
        return [
            e
            for e in entries
            if (method is None or e.method == method.upper())
            and (path is None or fnmatch.fnmatchcase(e.path, path))
            and (request_id is None or (e.ms_request_id or "").lower() == request_id.lower())
            and (
                correlation_id is None
                or (e.ms_correlation_id or "").lower() == correlation_id.lower()
            )
            and (status is None or e.status == status)
            and (since is None or e.seq > since)
        ]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class RequestLogMiddleware:
    """Records method, path, MS-RequestId, MS-CorrelationId and outcome of each request."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLOGGED_PREFIXES):
            await self.app(scope, receive, send)
            return
        facts: dict[str, Any] = {"raw_send": send, "status": None, "delivered": False}
        scope[SCOPE_KEY] = facts
        started = time.perf_counter()

        async def record_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                facts["status"] = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                facts["delivered"] = True

        try:
            await self.app(scope, receive, record_send)
        finally:
            self.log.append(
                at=time.time(),
                method=scope["method"],
                path=scope["path"],
                query=bytes(scope.get("query_string", b"")).decode("latin-1"),
                ms_request_id=_header(scope, b"ms-requestid"),
                ms_correlation_id=_header(scope, b"ms-correlationid"),
                partner=facts.get("partner"),
                status=facts["status"],
                delivered=facts["delivered"],
                fault=facts.get("fault"),
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
