"""Refusing request bodies over a size before anything reads them.

An ASGI middleware, so it runs ahead of every parser (JSON, forms, multipart) and of the checks
that need a parsed body (CSRF): a 60 MB form is refused at its `Content-Length`, or at the first
chunk past the limit when it is streamed, not parsed first.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Answers `refusal(max_bytes)` (a 413) to request bodies over `max_bytes`, whether their
    size is announced or they are streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, refusal: Callable[[int], Response]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self.refusal(self.max_bytes)(scope, receive, send)
                return
        seen = 0
        exceeded = started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, refused
            if exceeded and not started:
                # The app turned our interruption into an answer of its own (FastAPI makes any
                # failure to read a body a 400): the client gets the 413 instead.
                if not refused:
                    refused = True
                    await self.refusal(self.max_bytes)(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            if not started and not refused:
                await self.refusal(self.max_bytes)(scope, receive, send)


class _TooLarge(Exception):
    pass
