"""`nceflow dev up`: the whole stack on loopback, one child process per component."""

from __future__ import annotations

import importlib.util
import json
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nceflow.devstack.processes import (
    LOOPBACK,
    ManagedProcess,
    StartupError,
    launch_service,
    port_is_busy,
    wait_healthy,
)
from nceflow.devstack.servers import create_topics_sync, start_broker, start_redis
from nceflow.runtime.environment import ENV_VARIABLE, Environment
from nceflow.schemas.topics import ALL_TOPICS


class DevStackSettings(BaseSettings):
    """Ports and state folder of the dev stack; each port has its own `NCEFLOW_…_PORT` variable."""

    model_config = SettingsConfigDict(env_prefix="NCEFLOW_", extra="ignore")

    kafka_port: int = Field(default=9092, ge=1, le=65535)
    redis_port: int = Field(default=6379, ge=1, le=65535)
    pc_sim_port: int = Field(default=8090, ge=1, le=65535)
    catalog_port: int = Field(default=8001, ge=1, le=65535)
    checkout_port: int = Field(default=8002, ge=1, le=65535)
    fulfilment_port: int = Field(default=8003, ge=1, le=65535)
    storefront_port: int = Field(default=8000, ge=1, le=65535)
    state_dir: Path = Path(".nceflow")


@dataclass(frozen=True)
class ServiceSpec:
    """A Python service of the stack: its module, the variable that sets its port, its port."""

    label: str
    module: str
    port_variable: str
    port: int


def service_specs(settings: DevStackSettings) -> list[ServiceSpec]:
    """The services in start order; the ones not installed (not built yet) are left out."""
    specs = [
        ServiceSpec(
            "partner center simulator",
            "nceflow.partner_center_sim",
            "NCEFLOW_PC_SIM_PORT",
            settings.pc_sim_port,
        ),
        ServiceSpec("catalog", "nceflow.catalog", "NCEFLOW_CATALOG_PORT", settings.catalog_port),
        ServiceSpec(
            "checkout", "nceflow.checkout", "NCEFLOW_CHECKOUT_PORT", settings.checkout_port
        ),
        ServiceSpec(
            "fulfilment",
            "nceflow.fulfilment",
            "NCEFLOW_FULFILMENT_PORT",
            settings.fulfilment_port,
        ),
        ServiceSpec(
            "storefront",
            "nceflow.storefront",
            "NCEFLOW_STOREFRONT_PORT",
            settings.storefront_port,
        ),
    ]
    return [s for s in specs if importlib.util.find_spec(s.module) is not None]


def simulator_partner_credentials() -> dict[str, str]:
    """Fulfilment's credentials for every partner the simulator seeds.

    `PartnerCenterSettings` defaults to the seeded Adatum direct partner; every other partner
    (the indirect provider, which places its resellers' orders under its own tenant, and the
    Contoso direct partner) transacts with its own app, so fulfilment needs each one's.
    """
    from nceflow.partner_center_sim.domain.seed import load_seed

    seed = load_seed()
    partners = {
        p.tenant_id: {
            "client_id": p.app.client_id,
            "client_secret": p.app.client_secret.get_secret_value(),
            "refresh_token": p.app.refresh_token.get_secret_value(),
        }
        for p in seed.partners
    }
    return {"NCEFLOW_FULFILMENT_PARTNERS": json.dumps(partners)}


def refresh_token_dir(settings: DevStackSettings) -> Path:
    """Where the services keep rotated refresh tokens. Emptied at each start: the simulator
    forgets the tokens it issued when it stops, unlike Entra ID."""
    return (settings.state_dir / "secrets").resolve()


def service_environment(settings: DevStackSettings) -> dict[str, str]:
    """The variables that point every service at the stack's servers and at each other."""
    return {
        **simulator_partner_credentials(),
        # The stack runs on development defaults (dev keys, the simulator): say so explicitly.
        ENV_VARIABLE: Environment.DEV.value,
        # Rotated Partner Center refresh tokens survive a service restart (0600 files).
        "NCEFLOW_PARTNER_CENTER_REFRESH_TOKEN_DIR": str(refresh_token_dir(settings)),
        "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS": f"{LOOPBACK}:{settings.kafka_port}",
        # The embedded broker (Tansu) does not implement the idempotent producer.
        "NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE": "false",
        "NCEFLOW_REDIS_URL": f"redis://{LOOPBACK}:{settings.redis_port}/0",
        "NCEFLOW_PARTNER_CENTER_BASE_URL": f"http://{LOOPBACK}:{settings.pc_sim_port}",
        "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL": f"http://{LOOPBACK}:{settings.pc_sim_port}",
        "NCEFLOW_CATALOG_URL": f"http://{LOOPBACK}:{settings.catalog_port}",
        "NCEFLOW_CHECKOUT_URL": f"http://{LOOPBACK}:{settings.checkout_port}",
    }


def busy_ports(settings: DevStackSettings, with_services: bool) -> list[tuple[int, str]]:
    """(port, variable) pairs that something else already holds."""
    wanted = [
        (settings.kafka_port, "NCEFLOW_KAFKA_PORT"),
        (settings.redis_port, "NCEFLOW_REDIS_PORT"),
    ]
    if with_services:
        wanted += [(s.port, s.port_variable) for s in service_specs(settings)]
    return [(port, var) for port, var in wanted if port_is_busy(port)]


class DevStack:
    """Starts the components in order, remembers each child, stops them all by pid."""

    def __init__(self, settings: DevStackSettings, echo: Callable[[str], None]) -> None:
        self.settings = settings
        self.echo = echo
        self.children: list[ManagedProcess] = []

    def start(self, with_services: bool) -> list[str]:
        """Start every component; one line per component, the storefront's first."""
        s = self.settings
        logs = s.state_dir / "logs"
        shutil.rmtree(refresh_token_dir(s), ignore_errors=True)
        broker = start_broker(s.kafka_port, log_path=logs / "kafka.log")
        self.children.append(broker)
        redis = start_redis(
            s.redis_port, data_dir=s.state_dir / "redis", log_path=logs / "redis.log"
        )
        self.children.append(redis)
        create_topics_sync(broker.url, ALL_TOPICS)
        infrastructure = [
            f"kafka       {broker.url}  (Tansu, in memory, pid {broker.pid})",
            f"redis       {redis.url}  (append-only file in {s.state_dir}/redis, pid {redis.pid})",
            f"topics      {', '.join(ALL_TOPICS)}",
        ]
        if not with_services:
            return infrastructure
        env = service_environment(s)
        # Launch every service at once (Python start-up dominates), then wait for each in turn.
        launched = [
            (
                spec,
                launch_service(
                    spec.module,
                    spec.port,
                    env,
                    port_variable=spec.port_variable,
                    log_path=logs / f"{spec.module.rsplit('.', 1)[-1]}.log",
                ),
            )
            for spec in service_specs(s)
        ]
        self.children.extend(proc for _, proc in launched)
        for _, proc in launched:
            wait_healthy(proc, timeout=90)
        # The storefront first: a new user opens that one page and can buy.
        launched.sort(key=lambda pair: pair[0].module != "nceflow.storefront")
        services = [f"{spec.label:<11} {proc.url}  (pid {proc.pid})" for spec, proc in launched]
        return services + infrastructure

    def first_dead_child(self) -> ManagedProcess | None:
        return next((c for c in self.children if not c.alive()), None)

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()


def run_dev_stack(
    settings: DevStackSettings, with_services: bool, echo: Callable[[str], None]
) -> int:
    """Start the stack, wait for Ctrl-C or SIGTERM, stop every child; the process exit code."""
    busy = busy_ports(settings, with_services)
    if busy:
        port, variable = busy[0]
        echo(f"error: port {port} on {LOOPBACK} is in use; set {variable} to another port")
        return 1
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = DevStack(settings, echo)
    exit_code = 0
    try:
        echo(f"starting nceflow on {LOOPBACK} (logs in {settings.state_dir / 'logs'})")
        try:
            for line in stack.start(with_services):
                echo(line)
        except StartupError as exc:
            echo(f"error: {exc}")
            return 1
        echo("ready: press Ctrl-C to stop")
        while not stop_requested.wait(0.5):
            dead = stack.first_dead_child()
            if dead is not None:
                echo(
                    f"error: {dead.name} exited unexpectedly; logs in {settings.state_dir / 'logs'}"
                )
                exit_code = 1
                break
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("stopped")
    return exit_code
