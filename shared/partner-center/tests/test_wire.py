"""The wires: one HTTP exchange each, with errors that say whether a request may have left.

The client retries a checkout blindly only after a "not sent" error
(`PartnerCenterConnectionError(request_sent=False)`): a connection closed after the request, or
a body cut short, must never look like one. The errors are checked against a table and against
real sockets that fail each way; the lost-response cases end to end are in `test_client.py`
(`lost_response` faults of the simulator).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey

from nceflow.partner_center import (
    PartnerCenterConnectionError,
    PartnerCenterError,
    PartnerCenterSettings,
    PartnerCenterTimeoutError,
)
from nceflow.partner_center.wire import (
    AiohttpWire,
    HttpxWire,
    WireResponse,
    encode_json,
    error_from_aiohttp,
    error_from_httpx,
)

NOT_SENT = "not sent"
LOST = "sent, lost"
TIMEOUT = "timeout"

_KEY = ConnectionKey("api.partnercenter.microsoft.com", 443, True, True, None, None, None, None)


def _meaning(error: PartnerCenterError) -> str:
    if isinstance(error, PartnerCenterTimeoutError):
        return TIMEOUT
    assert isinstance(error, PartnerCenterConnectionError), repr(error)
    return LOST if error.request_sent else NOT_SENT


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (aiohttp.ClientConnectorError(_KEY, ConnectionRefusedError(111, "refused")), NOT_SENT),
        (aiohttp.ClientConnectorDNSError(_KEY, OSError(-2, "Name not known")), NOT_SENT),
        (aiohttp.ConnectionTimeoutError("pool wait or connect"), NOT_SENT),
        (aiohttp.SocketTimeoutError("read"), TIMEOUT),
        (aiohttp.ServerTimeoutError("read"), TIMEOUT),
        (TimeoutError(), TIMEOUT),  # asyncio.TimeoutError since Python 3.11
        (aiohttp.ServerDisconnectedError(), LOST),
        (aiohttp.ClientPayloadError("Response payload is not completed"), LOST),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), LOST),
        (aiohttp.ClientConnectionResetError("Cannot write to closing transport"), LOST),
        (ConnectionResetError(104, "Connection reset by peer"), LOST),
        (aiohttp.ClientError("anything else"), LOST),
    ],
)
def test_only_a_failed_connect_or_pool_wait_is_not_sent_over_aiohttp(
    error: BaseException, meaning: str
) -> None:
    mapped = error_from_aiohttp(error, request_id="rid-1")
    assert _meaning(mapped) == meaning
    assert mapped.retryable
    assert mapped.request_id == "rid-1"


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (httpx.ConnectError("refused"), NOT_SENT),
        (httpx.ConnectTimeout("connect"), NOT_SENT),
        (httpx.PoolTimeout("pool"), NOT_SENT),
        (httpx.ReadTimeout("read"), TIMEOUT),
        (httpx.WriteTimeout("write"), TIMEOUT),
        (httpx.RemoteProtocolError("closed"), LOST),
        (httpx.ReadError("reset"), LOST),
        (httpx.WriteError("broken pipe"), LOST),
    ],
)
def test_only_a_failed_connect_or_pool_wait_is_not_sent_over_httpx(
    error: httpx.TransportError, meaning: str
) -> None:
    mapped = error_from_httpx(error, request_id="rid-1")
    assert _meaning(mapped) == meaning
    assert mapped.request_id == "rid-1"


# ---------------------------------------------------------------------------- real sockets

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """An HTTP/1.1 server on a real socket that answers each request as a test says."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[bytes] = []  # each request as received, head and body
        self.connections: set[asyncio.Task[None]] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return  # the client closed the connection
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                self.requests.append(head + await reader.readexactly(length))
                await self.answer(reader, writer)
                if writer.is_closing():
                    return
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(answer: Handler) -> AsyncIterator[tuple[str, RawServer]]:
    server = RawServer(answer)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        listener.close()
        for connection in server.connections:  # a hanging answer must not outlive the test
            connection.cancel()
        await asyncio.gather(*server.connections, return_exceptions=True)


@asynccontextmanager
async def aiohttp_wire(**settings: Any) -> AsyncIterator[AiohttpWire]:
    wire = AiohttpWire(PartnerCenterSettings(**settings))
    try:
        yield wire
    finally:
        await wire.aclose()


HEADERS = {"Accept": "application/json", "MS-RequestId": "rid-1"}


async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()  # the request arrived (and may have taken effect); no answer


async def _answer(writer: asyncio.StreamWriter, raw: bytes) -> None:
    writer.write(raw)
    await writer.drain()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there any more


@pytest.mark.integration  # a real server on loopback
async def test_a_refused_connection_is_not_sent() -> None:
    async with aiohttp_wire() as wire:
        with pytest.raises(PartnerCenterConnectionError) as info:
            await wire.send("POST", f"http://127.0.0.1:{_closed_port()}/v1/x", headers=HEADERS)
    assert not info.value.request_sent
    assert info.value.request_id == "rid-1"


@pytest.mark.integration  # a real server on loopback
async def test_a_connection_closed_after_the_request_is_a_lost_response() -> None:
    async with raw_server(close_at_once) as (url, server), aiohttp_wire() as wire:
        with pytest.raises(PartnerCenterConnectionError) as info:
            await wire.send("POST", f"{url}/v1/checkout", headers=HEADERS, content=b"{}")
    assert info.value.request_sent
    assert len(server.requests) == 1  # and a POST is never re-sent behind the client's back


@pytest.mark.integration  # a real server on loopback
async def test_a_body_cut_short_is_a_lost_response() -> None:
    async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer(writer, b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id": "c')
        writer.close()

    async with raw_server(truncated) as (url, _), aiohttp_wire() as wire:
        with pytest.raises(PartnerCenterConnectionError) as info:
            await wire.send("POST", f"{url}/v1/checkout", headers=HEADERS)
    assert info.value.request_sent


@pytest.mark.integration  # a real server on loopback
async def test_no_answer_within_the_read_timeout_is_a_timeout() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async with raw_server(hang) as (url, _), aiohttp_wire(read_timeout_seconds=0.3) as wire:
        with pytest.raises(PartnerCenterTimeoutError) as info:
            await wire.send("POST", f"{url}/v1/checkout", headers=HEADERS)
    assert info.value.request_id == "rid-1"


@pytest.mark.integration  # a real server on loopback
async def test_a_body_stalling_beyond_the_read_timeout_is_a_timeout() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _answer(writer, b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id"')
        await asyncio.sleep(5)

    async with raw_server(stall) as (url, _), aiohttp_wire(read_timeout_seconds=0.3) as wire:
        with pytest.raises(PartnerCenterTimeoutError):
            await wire.send("GET", f"{url}/v1/carts/1", headers=HEADERS)


@pytest.mark.integration  # a real server on loopback
async def test_waiting_too_long_for_a_pooled_connection_is_not_sent() -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Holds the only connection for 1.5 s without ever going quiet for a read timeout.
        await _answer(writer, b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n")
        for _ in range(15):
            await asyncio.sleep(0.1)
            await _answer(writer, b" ")

    async with (
        raw_server(trickle) as (url, server),
        aiohttp_wire(
            max_connections=1, read_timeout_seconds=0.5, connect_timeout_seconds=0.2
        ) as wire,
    ):
        first = asyncio.create_task(wire.send("GET", f"{url}/v1/slow", headers=HEADERS))
        await asyncio.sleep(0.05)  # the first request holds the connection
        with pytest.raises(PartnerCenterConnectionError) as info:
            await wire.send("POST", f"{url}/v1/checkout", headers=HEADERS)
        assert not info.value.request_sent
        assert len(server.requests) == 1  # the checkout never reached the server
        assert (await first).content == b" " * 15


@pytest.mark.integration  # a real server on loopback
async def test_an_answer_reads_fully_with_case_insensitive_headers() -> None:
    async def created(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = b'{"id":"c-1"}'
        await _answer(
            writer,
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nRetry-After: 0\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body),
        )

    async with raw_server(created) as (url, server), aiohttp_wire() as wire:
        response = await wire.send(
            "POST",
            f"{url}/v1/customers/a%2Fb/carts",
            headers={**HEADERS, "Content-Type": "application/json"},
            params={"filter": '{"Field":"Domain","Value":"x y"}'},
            content=encode_json({"name": "Café"}),
        )
        again = await wire.send("POST", f"{url}/v1/customers/c/carts/1/checkout", headers=HEADERS)
    assert response == WireResponse(201, response.headers, b'{"id":"c-1"}', "Created")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["RETRY-AFTER"] == "0"
    assert again.status == 201
    sent, checkout = server.requests
    head, _, body = sent.partition(b"\r\n\r\n")
    # Escapes exactly as written and as httpx encodes a query (Microsoft's samples): yarl
    # would turn %3A and %2C back into ':' and ','.
    assert head.startswith(
        b"POST /v1/customers/a%2Fb/carts?filter=%7B%22Field%22%3A%22Domain%22%2C%22Value%22"
        b"%3A%22x+y%22%7D HTTP/1.1\r\n"
    )
    assert b"\r\nContent-Type: application/json\r\n" in head
    assert body == '{"name":"Café"}'.encode()
    # A POST without a body still says so, as httpx did.
    assert b"\r\nContent-Length: 0\r\n" in checkout
    # Partner Center sets no cookies and gets none.
    assert b"cookie" not in sent.lower()


async def test_a_closed_wire_refuses_to_send() -> None:
    async with aiohttp_wire() as wire:
        pass
    with pytest.raises(RuntimeError):
        await wire.send("GET", "http://127.0.0.1:9/v1/x", headers=HEADERS)


async def test_the_httpx_wire_reads_an_answer_and_maps_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/drop":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        return httpx.Response(
            404, json={"code": 404}, headers={"MS-RequestId": request.headers["MS-RequestId"]}
        )

    wire = HttpxWire(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    try:
        response = await wire.send("GET", "https://pc.example/v1/x", headers=HEADERS)
        with pytest.raises(PartnerCenterConnectionError) as info:
            await wire.send("POST", "https://pc.example/v1/drop", headers=HEADERS)
    finally:
        await wire.aclose()
    assert (response.status, response.reason, response.content) == (
        404,
        "Not Found",
        b'{"code":404}',
    )
    assert response.headers["ms-requestid"] == "rid-1"
    assert info.value.request_sent
