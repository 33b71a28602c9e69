"""The prompt-write Redis client against a real redis-server (and a server that never answers)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Coroutine, Generator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import TimeoutError as RedisTimeoutError

from nceflow.runtime.redis_client import PromptConnection, PromptSSLConnection, redis_from_url


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


class TaskCounter:
    """Counts the tasks the running loop creates (its task factory, not a mock)."""

    def __init__(self) -> None:
        self.created = 0

    def __call__(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
        **kwargs: Any,
    ) -> asyncio.Task[Any]:
        self.created += 1
        return asyncio.Task(coro, loop=loop, **kwargs)


async def created_tasks(client: Redis, key: str) -> int:
    await client.set(key, "warm")  # connected and health-checked before counting
    loop = asyncio.get_running_loop()
    counter = TaskCounter()
    loop.set_task_factory(counter)
    try:
        for _ in range(10):
            await client.get(key)
    finally:
        loop.set_task_factory(None)
    return counter.created


async def test_commands_and_transactions_work(redis_url: str, redis_prefix: str) -> None:
    client = redis_from_url(redis_url, socket_timeout=2)
    key = f"{redis_prefix}:k"
    try:
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            assert await pipe.get(key) is None
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(key, "v")
            pipe.xadd(f"{redis_prefix}:stream", {"f": "v"})
            await pipe.execute()
        assert await client.get(key) == b"v"
        pool_class = client.connection_pool.connection_class
        assert issubclass(pool_class, PromptConnection)
    finally:
        await client.aclose()


async def test_a_command_is_sent_without_a_task_of_its_own(
    redis_url: str, redis_prefix: str
) -> None:
    prompt = redis_from_url(redis_url, socket_timeout=2)
    stock = Redis.from_url(redis_url, socket_timeout=2)
    try:
        # redis-py's own connection spends a Task per command on the write's timeout (3.11).
        assert await created_tasks(stock, f"{redis_prefix}:a") >= 10
        assert await created_tasks(prompt, f"{redis_prefix}:b") == 0
    finally:
        await prompt.aclose()
        await stock.aclose()


@pytest.mark.integration  # a real server on loopback
async def test_reads_still_time_out_when_redis_does_not_answer(silent_port: int) -> None:
    client = redis_from_url(
        f"redis://127.0.0.1:{silent_port}/0", socket_timeout=0.3, socket_connect_timeout=0.3
    )
    started = time.monotonic()
    try:
        with pytest.raises(RedisTimeoutError):
            await client.get("anything")
    finally:
        await client.aclose()
    assert time.monotonic() - started < 3


async def test_the_class_follows_the_scheme_and_others_are_refused() -> None:
    tls = redis_from_url("rediss://127.0.0.1:6380/0")
    try:
        assert issubclass(tls.connection_pool.connection_class, PromptSSLConnection)
    finally:
        await tls.aclose()
    with pytest.raises(ValueError, match="scheme"):
        redis_from_url("http://127.0.0.1:6379/0")
