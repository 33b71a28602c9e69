"""docker-compose.yml stays true to the code, checked without a Docker engine."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

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
