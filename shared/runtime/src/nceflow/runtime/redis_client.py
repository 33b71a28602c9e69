"""Redis clients whose commands leave at once, with read timeouts kept.

With `socket_timeout` set (so that a dead Redis gives an error, not a hang) redis-py's asyncio
connection wraps every write in `asyncio.wait_for`, which on Python 3.11 creates a Task per
command: the bytes leave only on a later trip through the event loop, behind every callback
ready at that moment. On a busy service that put tens of milliseconds between the moment a
transaction was decided and `EXEC` reaching Redis, and cost a Task per command. A write of a few
bytes to a connected socket does not block (the kernel buffers it), so here writes go out
directly; connecting, the health check `PING` and every read keep `socket_timeout`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from redis.asyncio import Redis
from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    ConnectionPool,
    SSLConnection,
    UnixDomainSocketConnection,
    parse_url,
)


class _PromptWrite(AbstractConnection):
    """Sends without `asyncio.wait_for`; everything else as redis-py does it."""

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        if not self.is_connected:
            await self.connect_check_health(check_health=False)  # handshake reads time out
        if check_health:
            await self.check_health()  # type: ignore[no-untyped-call]
        timeout, self.socket_timeout = self.socket_timeout, None
        try:
            await super().send_packed_command(command, check_health=False)
        finally:
            self.socket_timeout = timeout


class PromptConnection(_PromptWrite, Connection):
    """TCP (`redis://`)."""


class PromptSSLConnection(_PromptWrite, SSLConnection):
    """TLS (`rediss://`)."""


class PromptUnixConnection(_PromptWrite, UnixDomainSocketConnection):
    """Unix socket (`unix://`)."""


_CLASSES: dict[str, type[AbstractConnection]] = {
    "redis": PromptConnection,
    "rediss": PromptSSLConnection,
    "unix": PromptUnixConnection,
}


def redis_from_url(url: str, **options: Any) -> Redis:
    """`Redis.from_url(url, **options)` with the connection class above for the URL's scheme
    (the URL's own options win over `options`, as in redis-py)."""
    scheme = urlparse(url).scheme
    if scheme not in _CLASSES:
        raise ValueError(f"unsupported Redis URL scheme {scheme!r} (redis, rediss or unix)")
    # `ConnectionPool.from_url` would let the scheme's stock class override ours.
    settings = {**options, **parse_url(url), "connection_class": _CLASSES[scheme]}
    return Redis.from_pool(ConnectionPool(**settings))
