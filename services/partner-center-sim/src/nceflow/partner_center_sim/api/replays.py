"""`MS-RequestId` as Partner Center's idempotency key: a write that comes back with the id of an
earlier one gets the earlier answer again, whatever it was.

"Partner Center REST headers": the id is "used to ensure id-potency. If there's a timeout, the
retry call should include the same value. Upon receiving a response (success or business
failure), the value should be reset for the next call." So the simulator remembers the answer to
every write (`POST`, `PUT`, `PATCH`, `DELETE` under `/v1/`) for `request_id_memory_seconds`, per
partner, request id, method and path, and replays it, refusals included: a client that reuses an
id after a refusal gets the refusal again, as it would from Microsoft, instead of a fresh try.

Not remembered: what is not an answer to the request (401, so that a retry with a renewed token
is heard; 408; 429; 5xx) and a response that never left (a dropped connection). A lost response
is remembered: its effects happened, and the timeout retry the page asks for must get them. A
second request with the id while the first is still being served waits for the first's answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nceflow.partner_center_sim.api.requestlog import SCOPE_KEY
from nceflow.partner_center_sim.domain.runtime_config import RuntimeConfig
from nceflow.partner_center_sim.domain.tokens import TokenStore

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Answers that are not the request's outcome: the same id must be heard again.
_NOT_ANSWERS = frozenset({401, 408, 429})
# Response headers that belong to the request being answered, not to the remembered one.
_PER_REQUEST = frozenset({b"ms-correlationid", b"ms-cv", b"ms-serverid", b"date"})

Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Answer:
    """A remembered response."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def is_answer(status: int) -> bool:
    """Whether a status is the outcome of the request (success or business failure)."""
    return status < 500 and status not in _NOT_ANSWERS


class RequestReplays:
    """Remembered answers, bounded in number and age."""

    def __init__(
        self, tokens: TokenStore, *, max_entries: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tokens = tokens
        self._max = max_entries
        self._clock = clock
        self._answers: OrderedDict[Key, tuple[float, Answer]] = OrderedDict()
        self._in_flight: dict[Key, asyncio.Event] = {}

    def reset(self) -> None:
        """Forget every answer."""
        self._answers.clear()

    def key(self, scope: Scope) -> Key | None:
        """Partner, request id, method and path of a write; None for what is not replayed (a
        read, a request without a valid token or without an id: auth refuses those)."""
        method = scope["method"].upper()
        if method not in WRITES or not scope["path"].startswith("/v1/"):
            return None
        headers = dict(scope["headers"])
        request_id = headers.get(b"ms-requestid", b"").decode("latin-1").strip().lower()
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        grant = self._tokens.grant(token.strip()) if scheme.lower() == "bearer" else None
        if not request_id or grant is None:
            return None
        return (grant.partner_key, request_id, method, scope["path"])

    def get(self, key: Key, max_age: float) -> Answer | None:
        """The answer remembered for `key`, unless older than `max_age` seconds."""
        entry = self._answers.get(key)
        if entry is None:
            return None
        at, answer = entry
        if self._clock() - at > max_age:
            del self._answers[key]
            return None
        return answer

    def remember(self, key: Key, answer: Answer) -> None:
        """Keep an answer; the oldest go first once `max_entries` are kept."""
        self._answers[key] = (self._clock(), answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self._max:
            self._answers.popitem(last=False)

    def begin(self, key: Key) -> asyncio.Event | None:
        """Mark `key` as being served; returns the event to wait on when it already is."""
        running = self._in_flight.get(key)
        if running is None:
            self._in_flight[key] = asyncio.Event()
        return running

    def end(self, key: Key) -> None:
        """`key` is no longer being served: wake whoever waits for its answer."""
        event = self._in_flight.pop(key, None)
        if event is not None:
            event.set()


def answer_from(status: int, body: dict[str, Any], headers: dict[str, str]) -> Answer:
    """An answer built by a layer that responds itself (an injected business refusal)."""
    payload = json.dumps(body).encode()
    raw = (
        (b"content-type", b"application/json; charset=utf-8"),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    )
    return Answer(status, raw, payload)


async def send_answer(send: Send, answer: Answer, scope: Scope) -> None:
    """Send a remembered answer, with this request's correlation id echoed."""
    headers = [
        (k, v) for k, v in answer.headers if k not in _PER_REQUEST and k != b"content-length"
    ]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    for key, value in scope["headers"]:
        if key.lower() == b"ms-correlationid":
            headers.append((b"ms-correlationid", value))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


class ReplayMiddleware:
    """Answers a write whose `MS-RequestId` was seen with the remembered answer."""

    def __init__(self, app: ASGIApp, replays: RequestReplays, config: RuntimeConfig) -> None:
        self.app = app
        self.replays = replays
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.replays.key(scope) if scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        while (running := self.replays.begin(key)) is not None:
            await running.wait()
        try:
            stored = self.replays.get(key, self.config.request_id_memory_seconds)
            if stored is not None:
                facts = scope.get(SCOPE_KEY)
                if facts is not None:
                    facts["replayed"] = True
                await send_answer(send, stored, scope)
                return
            await self._serve(key, scope, receive, send)
        finally:
            self.replays.end(key)

    async def _serve(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        status: int | None = None
        headers: tuple[tuple[bytes, bytes], ...] = ()
        body = bytearray()
        complete = False

        async def capture(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = tuple((bytes(k).lower(), bytes(v)) for k, v in message["headers"])
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            # Remembered even when sending failed (a lost response): the outcome happened.
            if status is not None and complete and is_answer(status):
                self.replays.remember(key, Answer(status, headers, bytes(body)))
