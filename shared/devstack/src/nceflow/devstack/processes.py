"""Child processes the dev stack and the tests start: started, awaited and stopped by pid."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

LOOPBACK = "127.0.0.1"


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM us when the parent dies.

    A test run or dev stack killed hard (SIGKILL, a CI timeout) runs no finalizer; without this
    its broker, Redis and services would outlive it and hold their ports. Linux ties this to
    the starting *thread*: start children from a thread that lives as long as they should.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


class StartupError(RuntimeError):
    """A child process did not become ready; the message says which and why."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_busy(port: int, host: str = LOOPBACK) -> bool:
    """True when something already accepts or holds `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def tcp_accepts(port: int, host: str = LOOPBACK) -> bool:
    """True when a TCP connection to `host:port` succeeds."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def http_ok(url: str) -> bool:
    """True when GET `url` answers 2xx."""
    try:
        return httpx.get(url, timeout=1.0).is_success
    except httpx.HTTPError:
        return False


@dataclass
class ManagedProcess:
    """One child process we own: its pid, where it listens and where its output goes."""

    name: str
    argv: Sequence[str]
    port: int
    env: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    url: str = ""
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise StartupError(f"{self.name} was not started")
        return self.popen.pid

    def start(self) -> ManagedProcess:
        """Start the child in its own process group so a Ctrl-C reaches us first, not it."""
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            list(self.argv),
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=self._log if self._log else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        return self

    def wait_until(self, ready: Callable[[], bool], timeout: float = 30.0) -> ManagedProcess:
        """Poll `ready` until it holds; fail early, with the log's tail, if the child died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise StartupError(
                    f"{self.name} exited with code {self.popen.returncode}{self._log_tail()}"
                )
            if ready():
                return self
            time.sleep(0.05)
        raise StartupError(f"{self.name} was not ready within {timeout:.0f}s{self._log_tail()}")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the child by pid, then SIGKILL if it does not exit in `timeout` seconds."""
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL by pid: a crash, for tests that prove nothing is lost."""
        if self.popen is not None and self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def _log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n  " + "\n  ".join(tail) if tail else ""


def launch_service(
    module: str,
    port: int,
    env: Mapping[str, str],
    *,
    port_variable: str,
    log_path: Path | None = None,
) -> ManagedProcess:
    """Start `python -m <module>` listening on `port` (set through `port_variable`); no waiting."""
    return ManagedProcess(
        name=module,
        argv=[sys.executable, "-m", module],
        port=port,
        env={**env, port_variable: str(port)},
        log_path=log_path,
        url=f"http://{LOOPBACK}:{port}",
    ).start()


def wait_healthy(
    proc: ManagedProcess, health_path: str = "/healthz", timeout: float = 30.0
) -> None:
    """Wait until the service answers its health check; stop it and raise if it never does."""
    try:
        proc.wait_until(lambda: http_ok(proc.url + health_path), timeout)
    except StartupError:
        proc.stop()
        raise


def start_service(
    module: str,
    port: int,
    env: Mapping[str, str],
    *,
    port_variable: str,
    health_path: str = "/healthz",
    log_path: Path | None = None,
    timeout: float = 30.0,
) -> ManagedProcess:
    """Run `python -m <module>` listening on `port` (set through `port_variable`) until healthy."""
    proc = launch_service(module, port, env, port_variable=port_variable, log_path=log_path)
    wait_healthy(proc, health_path, timeout)
    return proc
