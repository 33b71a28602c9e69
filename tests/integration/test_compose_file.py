"""docker-compose.yml stays true to the code, checked without a Docker engine."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from nceflow.schemas import topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
BUILT = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}


def _all_settings_classes() -> list[type[BaseSettings]]:
    for path in (ROOT / "services").glob("*/src/nceflow/*/settings.py"):
        importlib.import_module(f"nceflow.{path.parent.name}.settings")
    for module in ("nceflow.runtime.settings", "nceflow.partner_center.settings"):
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    found: list[type[BaseSettings]] = []
    pending: list[type[Any]] = [BaseSettings]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("nceflow."):
                found.append(sub)
    return found


def _env_names(cls: type[BaseSettings]) -> set[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {c for c in alias.choices if isinstance(c, str) and c.startswith("NCEFLOW_")}
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"{prefix}{field_name}")
    return {n.upper() for n in names}


KNOWN_VARIABLES = set().union(*(_env_names(c) for c in _all_settings_classes()))


@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_service_command_names_a_real_entry_point(name: str) -> None:
    command = BUILT[name]["command"]
    assert command[:2] == ["python", "-m"], command
    module = command[2]
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"{module} has no __main__"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_nceflow_variable_is_a_real_setting(name: str) -> None:
    variables = {k for k in BUILT[name].get("environment", {}) if k.startswith("NCEFLOW_")}
    unknown = sorted(variables - KNOWN_VARIABLES)
    assert not unknown, f"{name} sets variables no settings class reads: {unknown}"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_services_wait_for_healthy_dependencies_and_publish_on_loopback(name: str) -> None:
    service = BUILT[name]
    assert "healthcheck" in service
    for dependency in service.get("depends_on", {}).values():
        assert dependency["condition"] in {"service_healthy", "service_completed_successfully"}
    assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", []))


def test_infrastructure_images_are_pinned_and_redis_persists() -> None:
    services = COMPOSE["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:3.")
    assert "KAFKA_PROCESS_ROLES" in services["kafka"]["environment"], "KRaft mode"
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]


def test_redis_needs_a_password_and_never_evicts() -> None:
    """Drafts, outboxes and sagas are data: a full Redis must refuse writes, not drop them."""
    command = [str(part) for part in COMPOSE["services"]["redis"]["command"]]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--maxmemory") + 1]
    password = command[command.index("--requirepass") + 1]
    assert password.startswith("${NCEFLOW_REDIS_PASSWORD")
    for name, service in BUILT.items():
        url = service.get("environment", {}).get("NCEFLOW_REDIS_URL")
        if url is not None:
            assert url.startswith(f"redis://:{password}@redis:"), name


def test_the_dockerfile_builds_the_package_each_service_names() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert "--package" in dockerfile
    for name, service in BUILT.items():
        package = service["build"]["args"]["PACKAGE"]
        assert (ROOT / "services" / package.removeprefix("nceflow-") / "pyproject.toml").exists(), (
            name
        )


# Kafka: every client authenticated, each service its own user, and ACLs that let each service
# write only its own topics (docker/kafka/acls.txt, applied by docker/kafka/init.sh).

KAFKA = COMPOSE["services"]["kafka"]["environment"]
KAFKA_DIR = ROOT / "docker" / "kafka"


class Grant(NamedTuple):
    principal: str
    operation: str
    type: str
    name: str
    pattern: str


def _grants() -> list[Grant]:
    grants = []
    for line in (KAFKA_DIR / "acls.txt").read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            principal, operation, kind, name = fields[:4]
            pattern = fields[4] if len(fields) > 4 else "literal"
            grants.append(Grant(principal, operation, kind, name, pattern))
    return grants


def _jaas_users(jaas: str) -> dict[str, str]:
    return dict(re.findall(r'user_([a-z]+)="([^"]+)"', jaas))


def _kafka_clients() -> dict[str, dict[str, str]]:
    return {
        name: service["environment"]
        for name, service in BUILT.items()
        if "NCEFLOW_KAFKA_BOOTSTRAP_SERVERS" in service.get("environment", {})
    }


def test_kafka_authenticates_every_listener_and_allows_only_what_an_acl_grants() -> None:
    protocols = dict(
        pair.split(":") for pair in KAFKA["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = {entry.split(":")[0] for entry in KAFKA["KAFKA_LISTENERS"].split(",")}
    assert listeners == set(protocols)
    assert all(protocol.startswith("SASL_") for protocol in protocols.values()), protocols
    assert KAFKA["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert KAFKA["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert KAFKA["KAFKA_SUPER_USERS"] == "User:admin"
    for listener in listeners:
        jaas = KAFKA[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]
        assert jaas.startswith("org.apache.kafka.common.security.plain.PlainLoginModule required")
        assert jaas.endswith(";")


def test_each_kafka_client_is_its_own_user_known_to_the_broker() -> None:
    clients = _kafka_clients()
    assert set(clients) == {"checkout", "fulfilment"}
    users = _jaas_users(KAFKA["KAFKA_LISTENER_NAME_INTERNAL_PLAIN_SASL_JAAS_CONFIG"])
    assert users == _jaas_users(KAFKA["KAFKA_LISTENER_NAME_HOST_PLAIN_SASL_JAAS_CONFIG"])
    for name, env in clients.items():
        assert env["NCEFLOW_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        assert env["NCEFLOW_KAFKA_SASL_MECHANISM"] == "PLAIN", name
        assert env["NCEFLOW_KAFKA_SASL_USERNAME"] == name
        assert env["NCEFLOW_KAFKA_SASL_PASSWORD"] == users[name], name
    assert {g.principal for g in _grants()} == set(users) - {"admin"}


def test_only_checkout_writes_the_checkout_topic_and_only_fulfilment_the_fulfilment_topic() -> None:
    writers: dict[str, set[str]] = {}
    for grant in _grants():
        assert grant.operation in {"Read", "Write"}, grant
        assert grant.pattern == "literal" or grant.type == "group", grant
        if grant.operation == "Write":
            assert grant.type == "topic", grant
            writers.setdefault(grant.name, set()).add(grant.principal)
    assert writers == {
        # The operator's replay re-sends dead-lettered checkout records, byte for byte.
        topics.CHECKOUT_ORDER_EVENTS: {"checkout", "operator"},
        topics.CHECKOUT_DEAD_LETTER: {"checkout"},
        topics.FULFILMENT_ORDER_EVENTS: {"fulfilment"},
        topics.FULFILMENT_DEAD_LETTER: {"fulfilment"},
    }


def test_each_service_reads_what_it_consumes_in_its_own_consumer_group() -> None:
    from nceflow.checkout.settings import Settings as CheckoutSettings
    from nceflow.fulfilment.settings import Settings as FulfilmentSettings

    reads = {(g.principal, g.type, g.name) for g in _grants() if g.operation == "Read"}
    checkout_group = CheckoutSettings.model_fields["consumer_group"]
    fulfilment_group = FulfilmentSettings.model_fields["group_id"]
    consumed = {
        "checkout": (topics.FULFILMENT_ORDER_EVENTS, checkout_group),
        "fulfilment": (topics.CHECKOUT_ORDER_EVENTS, fulfilment_group),
    }
    for principal, (topic, group) in consumed.items():
        assert (principal, "topic", topic) in reads
        assert (principal, "group", group.default) in reads
    subscriber = {(g.type, g.name) for g in _grants() if g.principal == "subscriber"}
    assert subscriber == {
        ("topic", topics.CHECKOUT_ORDER_EVENTS),
        ("topic", topics.FULFILMENT_ORDER_EVENTS),
        ("group", "subscriber-"),
    }


def test_the_init_script_creates_every_topic_and_grants_each_acl(tmp_path: Path) -> None:
    """init.sh run with stand-ins for Kafka's tools, which record the arguments they get."""
    log = tmp_path / "calls.log"
    for tool in ("kafka-topics.sh", "kafka-acls.sh"):
        stand_in = tmp_path / tool
        stand_in.write_text(f'#!/bin/bash\necho "{tool} $*" >> "{log}"\n')
        stand_in.chmod(0o755)
    environment = {
        "PATH": os.environ["PATH"],
        "NCEFLOW_KAFKA_BIN": str(tmp_path),
        "NCEFLOW_KAFKA_ADMIN_PASSWORD": "s3cret",
    }
    subprocess.run([str(KAFKA_DIR / "init.sh")], env=environment, check=True, timeout=30)
    calls = log.read_text().splitlines()
    created = {c.split("--topic ")[1].split()[0] for c in calls if c.startswith("kafka-topics")}
    assert created == set(topics.ALL_TOPICS)
    granted = [c for c in calls if c.startswith("kafka-acls")]
    assert len(granted) == len(_grants())
    for call, grant in zip(granted, _grants(), strict=True):
        assert f"--allow-principal User:{grant.principal} --operation {grant.operation}" in call
        assert f"--{grant.type} {grant.name} --resource-pattern-type {grant.pattern}" in call
        assert "--command-config" in call


def test_the_admin_client_config_authenticates_as_the_super_user(tmp_path: Path) -> None:
    config = tmp_path / "admin.properties"
    subprocess.run(
        [str(KAFKA_DIR / "admin-client.sh"), str(config)],
        env={"PATH": os.environ["PATH"], "NCEFLOW_KAFKA_ADMIN_PASSWORD": "s3cret"},
        check=True,
        timeout=30,
    )
    properties = dict(line.split("=", 1) for line in config.read_text().splitlines())
    assert properties["security.protocol"] == "SASL_PLAINTEXT"
    assert properties["sasl.mechanism"] == "PLAIN"
    assert 'username="admin" password="s3cret";' in properties["sasl.jaas.config"]
