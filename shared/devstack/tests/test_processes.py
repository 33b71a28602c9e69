"""The process helpers: free ports, busy-port detection, stopping by pid."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import pytest

from nceflow.devstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    free_port,
    port_is_busy,
    tcp_accepts,
)


@pytest.mark.integration  # a real server on loopback
def test_free_port_is_not_busy_and_a_listener_makes_it_busy() -> None:
    port = free_port()
    assert not port_is_busy(port)
    with socket.socket() as listener:
        listener.bind((LOOPBACK, port))
        listener.listen()
        assert port_is_busy(port)
        assert tcp_accepts(port)


def test_stop_terminates_the_child_by_pid() -> None:
    proc = ManagedProcess(
        name="sleeper", argv=[sys.executable, "-c", "import time; time.sleep(60)"], port=0
    ).start()
    assert proc.alive()
    proc.stop(timeout=5)
    assert not proc.alive()
    assert proc.popen is not None
    assert proc.popen.returncode is not None


def test_a_child_that_dies_fails_startup_with_its_log(tmp_path: object) -> None:
    from pathlib import Path

    log = Path(str(tmp_path)) / "child.log"
    proc = ManagedProcess(
        name="crasher",
        argv=[sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
        port=0,
        log_path=log,
    ).start()
    with pytest.raises(StartupError, match=r"crasher exited with code 3[\s\S]*boom"):
        proc.wait_until(lambda: False, timeout=10)
    proc.stop()


@pytest.mark.integration  # starts processes and kills one
def test_children_die_with_a_parent_killed_hard(tmp_path: object) -> None:
    from pathlib import Path

    import psutil

    pid_file = Path(str(tmp_path)) / "child.pid"
    # A parent that starts a long-lived child through ManagedProcess, then is SIGKILLed.
    parent_code = textwrap.dedent(
        f"""
        import sys, time
        from nceflow.devstack.processes import ManagedProcess
        argv = [sys.executable, "-c", "import time; time.sleep(120)"]
        child = ManagedProcess(name="child", argv=argv, port=0).start()
        open({str(pid_file)!r}, "w").write(str(child.pid))
        time.sleep(120)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child = psutil.Process(int(pid_file.read_text()))
        assert child.is_running()
        parent.kill()
        parent.wait(10)
        child.wait(timeout=10)  # raises TimeoutExpired if the child outlived its parent
        assert not child.is_running()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
