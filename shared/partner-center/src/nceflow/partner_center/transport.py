"""The HTTP transport under the client's `httpx.AsyncClient`: aiohttp, with precise errors.

httpcore spends several times more CPU per call than aiohttp's pool and C parser (and walks
every pooled connection on each request), which bounded fulfilment's orders per second. The
`httpx-aiohttp` transport keeps httpx's API (requests, responses, timeouts, `MockTransport` in
tests) and only swaps the wire.

Its exception mapping is too coarse for Partner Center, though: it turns every aiohttp
connection error, a server that closed the connection *after* receiving the request included,
into `httpx.ConnectTimeout`, which the client reads as "the request never left" and retries a
checkout blindly. Here each aiohttp error maps to the httpx error that says whether the request
may have reached the server: only a failed connect or a wait for a pooled connection is
"not sent".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NoReturn

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


def precise_error(exc: BaseException) -> httpx.TransportError | None:
    """The httpx error for an aiohttp one (None when `exc` is not an aiohttp client error)."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)  # no connection: nothing was sent
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)  # connect or pool wait timed out: nothing sent
    if isinstance(exc, aiohttp.SocketTimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(message)  # closed after (part of) the request
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(message)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, aiohttp.ClientError):
        return httpx.RemoteProtocolError(message)  # anything else: it may have been sent
    return None


def _reraise(exc: Exception) -> NoReturn:
    """Raise the precise httpx error for `exc`: `httpx-aiohttp` raises its own mapping from the
    aiohttp error (and lets an aiohttp error it does not know through)."""
    original = exc.__cause__ if isinstance(exc, httpx.TransportError) else exc
    mapped = precise_error(original) if original is not None else None
    if mapped is None:
        raise exc
    raise mapped from original


class _PreciseStream(httpx.AsyncByteStream):
    """The response body stream, with the same precise errors while reading it."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            _reraise(exc)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            _reraise(exc)


class PartnerCenterTransport(AiohttpTransport):
    """`httpx-aiohttp`'s transport with errors that tell a lost response from a failed connect."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            _reraise(exc)
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _PreciseStream(response.stream)
        return response


__all__ = ["PartnerCenterTransport", "precise_error"]
