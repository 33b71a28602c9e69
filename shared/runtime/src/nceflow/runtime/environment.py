"""Dev mode, explicitly: the one switch that lets a service start on development defaults.

Every service ships defaults that make a laptop work without configuration: the public dev
signing key, the dev reseller directory, the simulator's credentials over plain HTTP. Those must
never open a production deployment, so they are allowed only when `NCEFLOW_ENV=dev` says so
(`nceflow dev up`, the test harness and the compose file set it). Anything else is production:
each service's settings list what production lacks, and the service refuses to start, naming
every missing setting at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings

if TYPE_CHECKING:  # settings.py imports this module: the types only
    from nceflow.runtime.settings import HandoffSettings, KafkaSettings

ENV_VARIABLE = "NCEFLOW_ENV"


class Environment(StrEnum):
    """Where a service runs."""

    DEV = "dev"
    """A developer machine or a test: development defaults are allowed."""
    PRODUCTION = "production"
    """Everything else (the default): development defaults are refused."""


def environment_field() -> Any:
    """The `env` field every service's settings carry (`NCEFLOW_ENV`, production by default)."""
    return Field(
        default=Environment.PRODUCTION,
        validation_alias=AliasChoices(ENV_VARIABLE, "env"),
        description="`dev` allows the development defaults; anything else is production",
    )


class NotForProductionError(ValueError):
    """Settings that only dev mode may run with."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        listed = "; ".join(self.problems)
        super().__init__(f"not allowed outside dev mode ({ENV_VARIABLE}=dev): {listed}")


def refuse_outside_dev(env: Environment, problems: Iterable[str]) -> None:
    """Raise `NotForProductionError` listing `problems`, unless this is dev mode."""
    found = list(problems)
    if env is not Environment.DEV and found:
        raise NotForProductionError(found)


def https_problems(**urls: str | None) -> list[str]:
    """One problem per URL that is set but not `https://` (the name is its setting's name)."""
    return [
        f"{name} must be an https:// URL (is {url!r})"
        for name, url in urls.items()
        if url is not None and not url.lower().startswith("https://")
    ]


def kafka_problems(kafka: KafkaSettings) -> list[str]:
    """Kafka without authentication: anyone on the network could write the order topics."""
    from nceflow.runtime.settings import KafkaSecurityProtocol

    if kafka.security_protocol is KafkaSecurityProtocol.PLAINTEXT:
        return [
            "NCEFLOW_KAFKA_SECURITY_PROTOCOL is PLAINTEXT (no authentication, no encryption): "
            "use SASL_SSL (or SSL with client certificates)"
        ]
    return []


def handoff_problems(handoff: HandoffSettings) -> list[str]:
    """The public dev key would let anyone with Redis read new tenants' admin passwords."""
    if handoff.uses_dev_key:
        return [
            "NCEFLOW_HANDOFF_KEYS holds the public dev key: give checkout and fulfilment the same "
            "new one (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ]
    return []


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], service: str) -> SettingsT:
    """The service's settings from its environment, or a clear refusal on stderr and exit 2.

    A service's `__main__` starts with this, so that a production deployment missing a setting
    stops at once with every reason instead of a traceback (or, worse, running on dev keys)."""
    try:
        return cls()
    except ValidationError as exc:
        print(refusal(service, exc), file=sys.stderr)
        raise SystemExit(2) from None


def refusal(service: str, exc: ValidationError) -> str:
    """What `load_settings` prints: one line per reason, each production gap on its own."""
    lines = [f"{service} refuses to start:"]
    for error in exc.errors(include_url=False):
        cause = error.get("ctx", {}).get("error")
        # Ours, or a library's error of the same shape (the Partner Center client's).
        problems = getattr(cause, "problems", None)
        if isinstance(problems, list):
            lines.append(f"  not allowed outside dev mode ({ENV_VARIABLE}=dev):")
            lines += [f"  - {problem}" for problem in problems]
            continue
        where = ".".join(str(part) for part in error["loc"])
        lines.append(f"  - {where + ': ' if where else ''}{cause or error['msg']}")
    return "\n".join(lines)
