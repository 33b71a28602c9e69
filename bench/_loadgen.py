"""The benches' load generator: a minimal asyncio HTTP/1.1 keep-alive client and latency tallies.

Not httpx (wrk is not installed here either): on this 2-core machine httpx's async pool tops out
near 280 req/s and collapses to ~75 req/s at 64 connections, so it, not the server, would be
measured. This client costs a few microseconds per request. It speaks only what our uvicorn
services answer: HTTP/1.1 over plain TCP, keep-alive, bodies framed by `Content-Length` or
chunked, JSON request bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import orjson


@dataclass(frozen=True)
class Response:
    """One answer: status, headers (lower-case names) and the raw body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class Connection:
    """One persistent HTTP/1.1 connection; requests on it go one after the other."""

    def __init__(self, base_url: str) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None or url.port is None:
            raise ValueError(f"need http://host:port, got {base_url!r}")
        self.host, self.port = url.hostname, url.port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def build(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """The bytes of one request (build once and `send` many times for a fixed request)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        body = b""
        if json is not None:
            body = orjson.dumps(json)
            lines.append("Content-Type: application/json")
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request and read its whole answer."""
        return await self.send(self.build(method, path, json=json, headers=headers))

    async def send(self, request: bytes) -> Response:
        """Send prebuilt request bytes and read the whole answer (reconnecting if needed)."""
        if self._writer is None or self._reader is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader = self._reader
        self._writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, body)

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):  # the peer reset it first: closed either way
                await writer.wait_closed()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            # Trailers (none from uvicorn) end with an empty line.
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])


# What a dropped or garbled connection raises: counted as a failed request, never as served.
TRANSPORT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError)


@dataclass
class Tally:
    """Latencies (seconds) of the requests answered as expected in one run, also per kind.

    A request answered otherwise (wrong status, dropped connection) counts as an error only,
    so `rate` is the rate of successful requests.
    """

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    def record(self, kind: str, elapsed: float, ok: bool) -> None:
        if ok:
            self.latencies.append(elapsed)
            self.by_kind.setdefault(kind, []).append(elapsed)
        else:
            self.errors += 1
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1

    @classmethod
    def combine(cls, tallies: Sequence[Tally]) -> Tally:
        """Several slices of one target as one run."""
        total = cls(seconds=sum(t.seconds for t in tallies))
        for tally in tallies:
            total.latencies += tally.latencies
            total.errors += tally.errors
            for kind, values in tally.by_kind.items():
                total.by_kind.setdefault(kind, []).extend(values)
            for kind, count in tally.errors_by_kind.items():
                total.errors_by_kind[kind] = total.errors_by_kind.get(kind, 0) + count
        return total

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, pct: int) -> float:
        """Latency at `pct` percent, in milliseconds."""
        return percentile(self.latencies, pct) * 1000

    def row(self, name: str, width: int = 10) -> str:
        return (
            f"{name:<{width}} {self.rate:8.0f} req/s   p50 {self.percentile(50):7.2f} ms"
            f"   p99 {self.percentile(99):7.2f} ms   requests {len(self.latencies)}"
            f"   errors {self.errors}"
        )

    def breakdown(self) -> str:
        """p50 per kind of request, to show where the time goes."""
        parts: list[str] = []
        for kind, values in self.by_kind.items():
            failed = self.errors_by_kind.get(kind, 0)
            parts.append(
                f"{kind} {statistics.median(values) * 1000:.0f} ms"
                + (f" ({failed} errors)" if failed else "")
            )
        return "p50 per request: " + ", ".join(parts)


def percentile(values: Sequence[float], pct: int) -> float:
    """The `pct` percentile of `values` (0.0 when there are fewer than two)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100)[pct - 1]


async def timed(
    connection: Connection,
    tally: Tally,
    kind: str,
    request: bytes,
    expect: int = 200,
) -> Response | None:
    """Send `request`, record its latency under `kind`; None if the connection failed."""
    started = time.perf_counter()
    try:
        response = await connection.send(request)
    except TRANSPORT_ERRORS:
        await connection.close()  # the next request opens a fresh one
        tally.record(kind, 0.0, ok=False)
        return None
    tally.record(kind, time.perf_counter() - started, ok=response.status == expect)
    return response


async def load(
    base_url: str, requests: Sequence[bytes], seconds: float, expect: int = 200
) -> Tally:
    """One keep-alive connection per entry of `requests`, each sending its request in a loop
    (the next as soon as the previous answer ended) for `seconds`."""
    tally = Tally()
    began = time.perf_counter()
    deadline = began + seconds

    async def loop(request: bytes) -> None:
        async with Connection(base_url) as connection:
            while time.perf_counter() < deadline:
                await timed(connection, tally, "request", request, expect)

    await asyncio.gather(*(loop(request) for request in requests))
    tally.seconds = time.perf_counter() - began
    return tally
