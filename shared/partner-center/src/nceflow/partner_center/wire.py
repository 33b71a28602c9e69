"""The wire under `PartnerCenterClient`: send one HTTP request, get one fully read answer.

`AiohttpWire` is the production wire: a raw `aiohttp.ClientSession`. httpx's per-request
machinery (request and URL objects, header merging, cookie extraction through `http.cookiejar`,
the auth and redirect flow, response stream wrappers) cost about as much CPU as aiohttp's whole
request (`bench/partner_center.py`), and the fulfilment service is CPU bound on these calls.
`HttpxWire` wraps an `httpx.AsyncClient` a caller injects (tests use `httpx.MockTransport`).

Both raise the client's own errors, and they must say exactly whether the request may have
reached Partner Center: the client retries a checkout blindly only after a "not sent" error
(`PartnerCenterConnectionError(request_sent=False)`), so only a failed connect or a wait for a
pooled connection may be one. Anything after that (a connection closed before or while the
answer came, a truncated body, an unknown error) is "sent, lost", and a read timeout is a
`PartnerCenterTimeoutError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import aiohttp
import httpx
from yarl import URL

from nceflow.partner_center.errors import (
    PartnerCenterConnectionError,
    PartnerCenterError,
    PartnerCenterTimeoutError,
)
from nceflow.partner_center.settings import PartnerCenterSettings

JSON_CONTENT_TYPE = "application/json"

# Below the 5 s idle timeout of common servers (uvicorn, which the simulator runs, among them):
# a pooled connection the server is closing at that very moment would turn a POST into a lost
# response (aiohttp re-sends only idempotent requests on a dropped keep-alive connection).
KEEPALIVE_SECONDS = 4.0

# Characters that may stand in a URL as they are (RFC 3986 reserved and unreserved, and `%` of
# existing escapes): a URL made only of these is sent exactly as written.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def encode_json(body: Any) -> bytes:
    """`body` as the JSON bytes httpx's `json=` sends (compact, UTF-8, no NaN), which the
    contract tests compare with Microsoft's samples."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@dataclass(frozen=True, slots=True)
class WireResponse:
    """One HTTP answer, its body read completely (Partner Center answers are small JSON)."""

    status: int
    headers: Mapping[str, str]  # case-insensitive (aiohttp's CIMultiDictProxy, httpx.Headers)
    content: bytes
    reason: str = ""


class Wire(Protocol):
    """Sends one HTTP request. Raises `PartnerCenterConnectionError` (with `request_sent`) or
    `PartnerCenterTimeoutError` when no answer arrived; any HTTP status is an answer."""

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> WireResponse:
        """Send `content` (already encoded) to `url` with `params` added to its query."""
        ...

    async def aclose(self) -> None:
        """Close the connections."""
        ...


def error_from_aiohttp(exc: BaseException, *, request_id: str | None) -> PartnerCenterError:
    """The client's error for an aiohttp (or socket, or timeout) error of one request.

    The checks run from the most specific class: `ClientConnectorError` is a `ClientOSError`
    and `ConnectionTimeoutError` a `ServerTimeoutError`, but only they mean "never sent".
    """
    name = type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        # No connection (refused, DNS, TLS handshake) or none in time, pool wait included.
        return PartnerCenterConnectionError(
            f"could not connect ({name})", request_sent=False, request_id=request_id
        )
    if isinstance(exc, TimeoutError):
        # SocketTimeoutError / ServerTimeoutError (the read timeout), or a bare
        # asyncio.TimeoutError (the same class) whose stage is unknown: the request may have
        # arrived.
        return PartnerCenterTimeoutError(f"no response in time ({name})", request_id=request_id)
    # ServerDisconnectedError, ClientPayloadError, ClientOSError after connecting, and any
    # other error: the request may have reached the server.
    return PartnerCenterConnectionError(f"connection lost ({name})", request_id=request_id)


def error_from_httpx(exc: httpx.TransportError, *, request_id: str | None) -> PartnerCenterError:
    """The client's error for an httpx transport error of one request."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return PartnerCenterConnectionError(
            f"could not connect ({name})", request_sent=False, request_id=request_id
        )
    if isinstance(exc, httpx.TimeoutException):
        return PartnerCenterTimeoutError(f"no response in time ({name})", request_id=request_id)
    return PartnerCenterConnectionError(f"connection lost ({name})", request_id=request_id)


def _target(url: str, params: Mapping[str, str] | None) -> URL:
    """The URL to request, with its escapes kept as written.

    yarl would re-quote the query (`%3A` back to `:`); the client's paths are quoted already
    and the query is encoded like httpx does (`urlencode`), as in Microsoft's samples. Only
    characters that may not stand in a URL (in a link the server sent, say) are escaped.
    """
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    return URL(quote(url, safe=_URL_SAFE), encoded=True)


class AiohttpWire:
    """The production wire: one aiohttp session with the client's pool size and timeouts."""

    def __init__(self, settings: PartnerCenterSettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"AiohttpWire(max_connections={self._settings.max_connections})"

    def _open(self) -> aiohttp.ClientSession:
        """The session, created inside the running loop that will use it."""
        if self._closed:
            raise RuntimeError("the Partner Center client has been closed")
        settings = self._settings
        connector = aiohttp.TCPConnector(
            limit=settings.max_connections,
            keepalive_timeout=KEEPALIVE_SECONDS,
            # The trust store httpx uses (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), so tokens
            # (fetched with httpx) and calls trust the same certificates.
            ssl=httpx.create_ssl_context(),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                # Waiting for a pooled connection and connecting together; at least the
                # connect timeout, so that a slow connect is reported as such.
                connect=max(settings.read_timeout_seconds, settings.connect_timeout_seconds),
                sock_connect=settings.connect_timeout_seconds,
                sock_read=settings.read_timeout_seconds,
            ),
            # Partner Center sets no cookies: skip the jar's per-request work.
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
            # Decode what aiohttp's Accept-Encoding advertised (gzip, deflate), as httpx did:
            # `content` is always the plain body.
            auto_decompress=True,
            # No proxy or .netrc look-ups per request (httpx did not use them with our
            # transport either).
            trust_env=False,
        )
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> WireResponse:
        """Send the request and read the whole answer; errors say whether it may have left."""
        session = self._session or self._open()
        try:
            async with session.request(
                method, _target(url, params), headers=headers, data=content, allow_redirects=False
            ) as response:
                body = await response.read()
        except (aiohttp.ClientError, OSError) as exc:  # OSError includes TimeoutError
            # `from None`: an aiohttp error's repr can hold the request headers (the token).
            raise error_from_aiohttp(exc, request_id=headers.get("MS-RequestId")) from None
        return WireResponse(response.status, response.headers, body, response.reason or "")

    async def aclose(self) -> None:
        """Close the session's connections; the wire cannot be used afterwards."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None


class HttpxWire:
    """An injected `httpx.AsyncClient` as the wire (tests pass one with a `MockTransport`)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    def __repr__(self) -> str:
        return "HttpxWire()"

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> WireResponse:
        """Send the request and read the whole answer; errors say whether it may have left."""
        try:
            response = await self._http.request(
                method, url, params=params, content=content, headers=headers
            )
        except httpx.TransportError as exc:
            raise error_from_httpx(exc, request_id=headers.get("MS-RequestId")) from None
        return WireResponse(
            response.status_code, response.headers, response.content, response.reason_phrase
        )

    async def aclose(self) -> None:
        """Close the httpx client."""
        await self._http.aclose()


__all__ = [
    "JSON_CONTENT_TYPE",
    "AiohttpWire",
    "HttpxWire",
    "Wire",
    "WireResponse",
    "encode_json",
    "error_from_aiohttp",
    "error_from_httpx",
]
