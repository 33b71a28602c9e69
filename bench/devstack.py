"""Start-up time and memory of `nceflow dev up` (installed), on free ports.

Baseline, measured in the same run: the infrastructure alone (`--no-services`: broker + Redis).
Prints seconds to "all health checks green", the total RSS of the process tree, and the ratios.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import psutil

from nceflow.devstack.processes import free_port

PORT_VARIABLES = (
    "KAFKA",
    "REDIS",
    "PC_SIM",
    "CATALOG",
    "CHECKOUT",
    "FULFILMENT",
    "STOREFRONT",
)


@dataclass
class Sample:
    seconds_to_ready: float
    rss_mib: float
    processes: int


def measure(with_services: bool) -> Sample:
    with tempfile.TemporaryDirectory() as state:
        env = {**os.environ, "NCEFLOW_STATE_DIR": state}
        env.update({f"NCEFLOW_{name}_PORT": str(free_port()) for name in PORT_VARIABLES})
        argv = [sys.executable, "-m", "nceflow.devstack.cli", "dev", "up"]
        if not with_services:
            argv.append("--no-services")
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("ready:"):
                    break
                if line.startswith("error:"):
                    raise SystemExit(line)
            ready = time.perf_counter() - started
            time.sleep(2)  # let the services finish their start-up allocations before sampling
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree) / 2**20
            return Sample(ready, rss, len(tree))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


def main() -> None:
    base = measure(with_services=False)
    full = measure(with_services=True)
    row = "{:<28}{:>10.2f}{:>12.1f}{:>11}"
    print(f"{'':<28}{'ready (s)':>10}{'RSS (MiB)':>12}{'processes':>11}")
    for label, s in (("broker + redis (baseline)", base), ("whole stack", full)):
        print(row.format(label, s.seconds_to_ready, s.rss_mib, s.processes))
    print(
        f"ratio whole/baseline: time {full.seconds_to_ready / base.seconds_to_ready:.1f}x, "
        f"memory {full.rss_mib / base.rss_mib:.1f}x"
    )


if __name__ == "__main__":
    main()
