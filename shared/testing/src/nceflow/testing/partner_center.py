"""Test helpers for code that uses the client.

- `FakeClock`: the client's retry, rate-limit and token-cache waits run on it, so tests check
  waiting times without sleeping;
- `SimControl`, `seed`, `partner_settings`: drive the Partner Center simulator's `/_sim/` control
  API (fault injection, request log, orders) and build client settings for its seeded partners.
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from typing import Any

import httpx

from nceflow.partner_center.settings import PartnerCenterSettings


class FakeClock:
    """Monotonic time that only moves when someone sleeps (or the test advances it)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # still yield, like a real sleep, so other tasks run


class SimControl:
    """The simulator's `/_sim/` control API (not part of Microsoft's surface)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)

    async def reset(self) -> None:
        (await self.http.post("/_sim/reset")).raise_for_status()

    async def fault(self, **rule: Any) -> None:
        response = await self.http.post("/_sim/faults", json=rule)
        assert response.status_code in (200, 201), response.text

    async def configure(self, **patch: Any) -> None:
        """Change the simulator's runtime configuration (snake_case keys) until the reset."""
        (await self.http.patch("/_sim/config", json=patch)).raise_for_status()

    async def requests(self, **filters: str) -> list[dict[str, Any]]:
        response = await self.http.get("/_sim/requests", params=filters)
        response.raise_for_status()
        body = response.json()
        items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
        return items

    async def orders(self, customer_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/_sim/customers/{customer_id}/orders")
        response.raise_for_status()
        body = response.json()
        items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
        return items


def seed() -> dict[str, Any]:
    """The simulator's seed file (read from the installed `nceflow.partner_center_sim`)."""
    text = resources.files("nceflow.partner_center_sim").joinpath("data/seed.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document


def partner_settings(base_url: str, key: str, **overrides: Any) -> PartnerCenterSettings:
    """Client settings for one of the seeded partners (`direct` or `indirect`)."""
    partner = next(p for p in seed()["partners"] if p["key"] == key)
    values: dict[str, Any] = {
        "base_url": base_url,
        "authority_url": base_url,
        "tenant_id": partner["tenantId"],
        "client_id": partner["app"]["clientId"],
        "client_secret": partner["app"]["clientSecret"],
        "refresh_token": partner["app"]["refreshToken"],
        "rate_limit_per_minute": 0,
        "read_timeout_seconds": 5,
    }
    values.update(overrides)
    return PartnerCenterSettings(**values)
