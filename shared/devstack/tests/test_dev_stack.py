"""`nceflow dev up`, run as a user runs it: a real process, real ports, signals."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from nceflow.devstack.processes import LOOPBACK, free_port, tcp_accepts

NCEFLOW = [sys.executable, "-c", "from nceflow.devstack.cli import main; main()"]


def _env(tmp_path: Path, **ports: int) -> dict[str, str]:
    env = {**os.environ, "NCEFLOW_STATE_DIR": str(tmp_path / "state")}
    env.update({f"NCEFLOW_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    return env


def _wait_for_line(proc: subprocess.Popen[str], text: str, timeout: float) -> list[str]:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip("\n"))
        if text in line:
            return seen
    raise AssertionError(f"{text!r} not printed within {timeout}s; got {seen}")


@pytest.mark.integration  # a real server on loopback
def test_busy_port_gives_one_line_naming_port_and_variable(tmp_path: Path) -> None:
    redis_port = free_port()
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, redis_port))
        squatter.listen()
        kafka_port = free_port()
        result = subprocess.run(
            [*NCEFLOW, "dev", "up", "--no-services"],
            env=_env(tmp_path, kafka=kafka_port, redis=redis_port),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"error: port {redis_port} on 127.0.0.1 is in use; set NCEFLOW_REDIS_PORT to another port"
    ]
    assert not tcp_accepts(kafka_port), "nothing may start when a port is busy"


@pytest.mark.integration  # a real server on loopback
def test_dev_up_without_services_starts_broker_and_redis_and_sigterm_stops_all(
    tmp_path: Path,
) -> None:
    kafka_port, redis_port = free_port(), free_port()
    proc = subprocess.Popen(
        [*NCEFLOW, "dev", "up", "--no-services"],
        env=_env(tmp_path, kafka=kafka_port, redis=redis_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = _wait_for_line(proc, "ready:", timeout=60)
        assert any(line.startswith("kafka") and f"127.0.0.1:{kafka_port}" in line for line in lines)
        assert any(line.startswith("redis") and f":{redis_port}/0" in line for line in lines)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) == 2
        assert tcp_accepts(kafka_port)
        assert tcp_accepts(redis_port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], f"survivors: {alive}"
        assert (tmp_path / "state" / "redis" / "appendonlydir").exists() or any(
            p.name.startswith("appendonly") for p in (tmp_path / "state" / "redis").iterdir()
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.integration  # a real server on loopback
def test_dev_env_points_operator_commands_at_the_stack(tmp_path: Path) -> None:
    """`eval "$(nceflow dev env)"` gives an operator command the stack's settings; without them
    a replay against the stack's broker fails with one line saying what to set, not a trace."""
    kafka_port, redis_port = free_port(), free_port()
    env = _env(tmp_path, kafka=kafka_port, redis=redis_port)
    env.pop("NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE", None)
    proc = subprocess.Popen(
        [*NCEFLOW, "dev", "up", "--no-services"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_line(proc, "ready:", timeout=60)
        command = " ".join(shlex.quote(part) for part in NCEFLOW)
        plain = subprocess.run(
            [*NCEFLOW, "fulfilment", "replay"],
            env={
                **env,
                "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS": f"{LOOPBACK}:{kafka_port}",
                "NCEFLOW_REDIS_URL": f"redis://{LOOPBACK}:{redis_port}/0",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert plain.returncode == 1
        assert "NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE=false" in plain.stderr
        assert 'eval "$(nceflow dev env)"' in plain.stderr
        assert "Traceback" not in plain.stderr
        with_env = subprocess.run(
            ["bash", "-c", f'eval "$({command} dev env)" && {command} fulfilment replay'],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert with_env.returncode == 0, with_env.stderr
        assert json.loads(with_env.stdout) == {
            "redriven_orders": [],
            "replayed_dead_letters": 0,
            "skipped_dead_letters": 0,
            "refused_topics": [],
            "dry_run": False,
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
