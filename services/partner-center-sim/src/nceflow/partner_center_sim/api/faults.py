"""Fault injection: make chosen requests fail the ways Partner Center and networks fail.

Rules (`POST /_sim/faults`) match a method and a path (glob, or a regex that must match the
whole path) and fire either with a probability, for an exact number of requests, or both (the
probability applies until the count is used up). The first matching rule wins. Kinds:

- `429`: Partner Center's throttling answer, with `Retry-After`;
- `500` / `503`: a server error in Microsoft's error shape;
- `latency`: the request is delayed by `latencyMs`, then served normally;
- `drop`: the connection is closed without any response;
- `lost_response`: the request is served (its effects happen), then the response is withheld
  for `hangSeconds` (the client times out) and the connection is closed: the case that catches
  clients which retry a non-idempotent call blindly;
- `order_error`: the next checkout matching the rule succeeds partially: its first order group
  is reported in `orderErrors` instead of becoming an order;
- `error`: a business refusal: the request is not served and is answered with `status` and
  Microsoft's error body carrying `code` and `description` (e.g. 400 / 600061 on
  `POST /v1/customers/*/agreements`, Microsoft's documented answer to an MCA attestation it
  does not accept), so callers' handling of a documented refusal can be tested with valid data.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import itertools
import json
import random
import re
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nceflow.partner_center_sim.api.errors import UNEXPECTED, error_body
from nceflow.partner_center_sim.api.ratelimit import throttled_body
from nceflow.partner_center_sim.api.replays import RequestReplays, answer_from, is_answer
from nceflow.partner_center_sim.api.requestlog import SCOPE_KEY, UNLOGGED_PREFIXES
from nceflow.partner_center_sim.domain.runtime_config import RuntimeConfig


class FaultKind(StrEnum):
    """What an injected fault does."""

    THROTTLE = "429"
    INTERNAL_ERROR = "500"
    UNAVAILABLE = "503"
    LATENCY = "latency"
    DROP = "drop"
    LOST_RESPONSE = "lost_response"
    ORDER_ERROR = "order_error"
    ERROR = "error"


class FaultRuleSpec(BaseModel):
    """A fault rule as a test asks for it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    kind: FaultKind
    path: str | None = Field(default=None, description="Glob on the request path, e.g. /v1/*")
    path_regex: str | None = Field(default=None, description="Regex matching the whole path")
    method: str = Field(default="*", description="HTTP method, or * for any")
    probability: float | None = Field(default=None, ge=0, le=1)
    count: int | None = Field(default=None, ge=1, description="Fire for this many requests")
    retry_after_seconds: int = Field(default=1, ge=0, description="Retry-After of 429 / 503")
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    hang_seconds: float | None = Field(
        default=None, ge=0, le=600, description="lost_response: hold the connection this long"
    )
    status: int = Field(default=400, ge=400, le=599, description="error: the HTTP status")
    code: int = Field(
        default=800060, description="order_error / error: Microsoft's error code reported"
    )
    description: str = Field(
        default="Your order is in progress. Please check your order history for recent orders "
        "in few minutes.",
        min_length=1,
        max_length=1024,  # Microsoft's documented bound on an error description
        description="order_error / error: the error description reported",
    )

    @model_validator(mode="after")
    def _one_path(self) -> Self:
        if (self.path is None) == (self.path_regex is None):
            raise ValueError("give exactly one of path (glob) or pathRegex")
        if self.path_regex is not None:
            try:
                re.compile(self.path_regex)
            except re.error as exc:
                raise ValueError(f"pathRegex is not a valid regex: {exc}") from exc
        return self

    @model_validator(mode="after")
    def _error_says_what(self) -> Self:
        # The defaults describe order_error's 800060; an `error` rule must name its own refusal.
        if self.kind is FaultKind.ERROR and not {"code", "description"} <= self.model_fields_set:
            raise ValueError("an error rule needs its code and description")
        return self


class FaultRule(FaultRuleSpec):
    """A registered rule with its id and how often it fired."""

    id: int
    hits: int = 0
    remaining: int | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (ignoring probability and count)."""
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if self.path is not None:
            return fnmatch.fnmatchcase(path, self.path)
        return re.fullmatch(self.path_regex or "", path) is not None


class FaultRegistry:
    """The active rules and the seeded random source deciding probabilistic ones."""

    def __init__(self, random_seed: int | None) -> None:
        self._random_seed = random_seed
        self._rng = random.Random(random_seed)
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def reset(self) -> None:
        """No rules; the random source starts over from its seed."""
        self._rules = []
        self._rng = random.Random(self._random_seed)

    def add(self, spec: FaultRuleSpec) -> FaultRule:
        """Register a rule."""
        rule = FaultRule(**spec.model_dump(), id=next(self._ids), remaining=spec.count)
        self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        """Every registered rule, in matching order."""
        return list(self._rules)

    def pick(self, method: str, path: str, *, order_errors: bool = False) -> FaultRule | None:
        """The rule that fires for this request, if any, counting the hit."""
        for rule in self._rules:
            if (rule.kind is FaultKind.ORDER_ERROR) != order_errors:
                continue
            if not rule.matches(method, path) or rule.remaining == 0:
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.remaining is not None:
                rule.remaining -= 1
            return rule
        return None


class ConnectionDroppedError(ConnectionError):
    """Raised where the server cannot close the socket itself (in-process ASGI transports)."""


async def drop_connection(raw_send: Send) -> None:
    """Close the client's connection without a response.

    uvicorn's `send` is a bound method of its request cycle, which holds the asyncio transport;
    aborting it is what a crashed proxy or a network cut looks like to the client.
    """
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionDroppedError("connection dropped by an injected fault")
    transport.abort()
    # Let uvicorn's connection_lost callback run so it does not answer 500 for us.
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def _json_response(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


def _echoed_headers(scope: Scope) -> dict[str, str]:
    """The caller's MS-RequestId and MS-CorrelationId, echoed as Partner Center does."""
    wanted = {b"ms-requestid": "MS-RequestId", b"ms-correlationid": "MS-CorrelationId"}
    return {
        wanted[key.lower()]: value.decode("latin-1")
        for key, value in scope["headers"]
        if key.lower() in wanted
    }


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class FaultMiddleware:
    """Applies the first matching fault rule to each Partner Center or Entra request."""

    def __init__(
        self,
        app: ASGIApp,
        registry: FaultRegistry,
        config: RuntimeConfig,
        replays: RequestReplays | None = None,
    ) -> None:
        self.app = app
        self.registry = registry
        self.config = config
        self.replays = replays

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLOGGED_PREFIXES):
            await self.app(scope, receive, send)
            return
        rule = self.registry.pick(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        facts: dict[str, Any] = scope.setdefault(SCOPE_KEY, {"raw_send": send})
        facts["fault"] = rule.kind.value
        if rule.kind is FaultKind.LATENCY:
            await asyncio.sleep(rule.latency_ms / 1000)
            await self.app(scope, receive, send)
        elif rule.kind is FaultKind.THROTTLE:
            retry_after = rule.retry_after_seconds
            await _json_response(
                send, 429, throttled_body(retry_after), {"Retry-After": str(retry_after)}
            )
        elif rule.kind is FaultKind.INTERNAL_ERROR:
            await _json_response(send, 500, error_body(UNEXPECTED, "Unexpected service error"), {})
        elif rule.kind is FaultKind.UNAVAILABLE:
            await _json_response(
                send,
                503,
                error_body(503, "The service is temporarily unavailable."),
                {"Retry-After": str(rule.retry_after_seconds)},
            )
        elif rule.kind is FaultKind.ERROR:
            body, echoed = error_body(rule.code, rule.description), _echoed_headers(scope)
            key = self.replays.key(scope) if self.replays is not None else None
            if self.replays is not None and key is not None and is_answer(rule.status):
                # A business refusal is an answer like any other: the same MS-RequestId gets it
                # again (see `replays`).
                self.replays.remember(key, answer_from(rule.status, body, echoed))
            await _json_response(send, rule.status, body, echoed)
        elif rule.kind is FaultKind.DROP:
            await drop_connection(facts["raw_send"])
        elif rule.kind is FaultKind.LOST_RESPONSE:
            await self._lose_response(rule, scope, receive, facts)

    async def _lose_response(
        self, rule: FaultRule, scope: Scope, receive: Receive, facts: dict[str, Any]
    ) -> None:
        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                facts["status"] = message["status"]

        await self.app(scope, receive, swallow)
        hang = (
            rule.hang_seconds
            if rule.hang_seconds is not None
            else self.config.lost_response_hang_seconds
        )
        if hang > 0:
            # Hold the connection like a stalled proxy until the client gives up or time is up.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_wait_for_disconnect(receive), timeout=hang)
        await drop_connection(facts["raw_send"])
