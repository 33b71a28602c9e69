"""Every service started as production starts it (no `NCEFLOW_ENV=dev`) refuses to run on the
development defaults, and names each setting it lacks.

Each service runs as its own process (`python -m nceflow.<service>`) with the test harness's
dev mode taken out of its environment. No broker, Redis or Partner Center is needed: the refusal
comes before any connection is made.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Each test starts a service's process (it refuses and exits): not the no-process unit tier.
pytestmark = pytest.mark.integration


def start_as_production(module: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m module` with production's environment: dev mode and test variables out."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NCEFLOW_")}
    clean |= {"NCEFLOW_ENV": "production", **env}
    return subprocess.run(
        [sys.executable, "-m", module],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "named"),
    [
        (
            "nceflow.checkout",
            [
                "NCEFLOW_CHECKOUT_JWT_JWKS_URL is not set",
                "NCEFLOW_CHECKOUT_RESELLERS_FILE is not set",
                "NCEFLOW_PARTNER_CENTER_BASE_URL must be an https:// URL",
                "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL must be an https:// URL",
                "NCEFLOW_CHECKOUT_MICROSOFT_SIGN_IN_CLIENT_ID and _CLIENT_SECRET are the "
                "simulator's",
                "NCEFLOW_KAFKA_SECURITY_PROTOCOL is PLAINTEXT",
                "NCEFLOW_HANDOFF_KEYS holds the public dev key",
            ],
        ),
        ("nceflow.checkout.relay", ["NCEFLOW_CHECKOUT_JWT_JWKS_URL is not set"]),
        (
            "nceflow.fulfilment",
            [
                "NCEFLOW_PARTNER_CENTER_BASE_URL must be an https:// URL",
                "NCEFLOW_PARTNER_CENTER_CLIENT_SECRET / _REFRESH_TOKEN are the simulator's",
            ],
        ),
    ],
)
def test_a_service_on_dev_defaults_refuses_to_start(module: str, named: list[str]) -> None:
    result = start_as_production(module)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{module} refuses to start:"), result.stderr
    for reason in named:
        assert reason in result.stderr, f"{reason!r} not in:\n{result.stderr}"
    assert "Traceback" not in result.stderr


def test_the_storefront_refuses_dev_sign_in_and_plain_cookies_outside_dev() -> None:
    result = start_as_production(
        "nceflow.storefront",
        NCEFLOW_STOREFRONT_SIGN_IN="dev",
        NCEFLOW_STOREFRONT_COOKIE_SECURE="false",
    )
    assert result.returncode == 2, result.stderr
    assert "NCEFLOW_STOREFRONT_SIGN_IN=dev lets anyone sign in as any account" in result.stderr
    assert "NCEFLOW_STOREFRONT_COOKIE_SECURE=false" in result.stderr


def test_a_catalog_admin_token_too_short_to_be_a_secret_is_refused() -> None:
    result = start_as_production("nceflow.catalog", NCEFLOW_CATALOG_ADMIN_TOKEN="letmein")
    assert result.returncode == 2, result.stderr
    assert "NCEFLOW_CATALOG_ADMIN_TOKEN must be at least 32 characters" in result.stderr
