"""Walking checkout's wizard over its API as a customer would, for the end-to-end tests of any
package: one `WizardPath` per way through the seed's steps, Buy, and the wait for a final status."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings
from nceflow.partner_center_sim.domain.seed import load_seed
from nceflow.runtime.settings import KafkaSettings, RedisSettings
from nceflow.testing import simulator as sim

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"


def checkout_settings(
    *,
    kafka_bootstrap: str,
    enable_idempotence: bool,
    topic_prefix: str,
    redis_url: str,
    redis_prefix: str,
    catalog_url: str,
    sim_url: str,
    **overrides: Any,
) -> Settings:
    """Checkout pointed at one test's servers, topics and keys, with the short waits tests use
    (the relay blocks 100 ms, the expiry sweep runs every 0.2 s); `overrides` set the rest."""
    values: dict[str, Any] = {
        "kafka": KafkaSettings(
            bootstrap_servers=kafka_bootstrap,
            enable_idempotence=enable_idempotence,
            topic_prefix=topic_prefix,
        ),
        "redis": RedisSettings(url=redis_url, key_prefix=redis_prefix),
        "catalog_url": catalog_url,
        "partner_center_base_url": sim_url,
        "partner_center_authority_url": sim_url,
        "relay_block_ms": 100,
        "relay_claim_interval_seconds": 0.5,
        "expiry_interval_seconds": 0.2,
        "draft_idle_timeout": timedelta(days=7),
        "consumer_group": f"{topic_prefix}checkout-{redis_prefix}",
    }
    return Settings(**(values | overrides))


CONTACT = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+1 425 555 0100",
}
PROFILE = {
    "company_name": "Globex",
    "address_line1": "1 Main St",
    "city": "Redmond",
    "state": "WA",
    "postal_code": "98052",
    "country": "US",
    **CONTACT,
}


# Registered with the simulator's sign-in app (any loopback port, as Entra allows).
SIGN_IN_REDIRECT_URI = "http://127.0.0.1/sign-in/microsoft/callback"


def seeded_user(domain: str) -> str:
    """The simulator's user of the seeded customer tenant with that domain."""
    return load_seed().customer_by_domain(domain).users[0].user_principal_name


async def microsoft_callback(
    client: httpx.AsyncClient, headers: dict[str, str], draft_id: str, username: str
) -> dict[str, str]:
    """Start the draft's Microsoft sign-in and sign in as `username` in the simulator, as the
    customer's browser would: the query Microsoft sends back to the redirect URI."""
    started = await client.post(
        f"/v1/drafts/{draft_id}/microsoft-sign-in",
        json={"redirect_uri": SIGN_IN_REDIRECT_URI},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    async with httpx.AsyncClient(timeout=10) as browser:
        back = await sim.sign_in(browser, started.json()["authorize_url"], username)
    return dict(back.params)


async def sign_in_with_microsoft(
    client: httpx.AsyncClient, headers: dict[str, str], draft_id: str, username: str
) -> httpx.Response:
    """The `tenant_sign_in` step done as `username`: checkout's answer to the callback."""
    query = await microsoft_callback(client, headers, draft_id, username)
    assert "code" in query, query
    return await client.put(
        f"/v1/drafts/{draft_id}/steps/tenant_sign_in",
        json={"code": query["code"], "state": query["state"]},
        headers=headers,
    )


@dataclass(frozen=True)
class WizardPath:
    """One way through the wizard and what Partner Center must hold afterwards."""

    name: str
    account: str
    reseller: str
    kind: str  # new | existing
    domain: str  # the tenant's domain in the simulator
    qualification: str = "none"
    accept_relationship_first: bool = False


def answers(path: WizardPath) -> dict[str, dict[str, Any]]:
    prefix = path.domain.split(".")[0]
    return {
        "account": {"kind": path.kind},
        "company_profile": {**PROFILE, "domain_prefix": prefix},
        "partner_relationship": {"authorization_done": "yes"},
        "partner_of_record": {"attestation_accepted": True},
        "tenant_domain": {"primary_domain": path.domain},
        "mca": {"accepted": "yes", **CONTACT},
        "qualification": {"qualification": path.qualification},
    }


async def buy_through_the_wizard(
    client: httpx.AsyncClient, settings: Settings, path: WizardPath
) -> tuple[str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {mint_dev_token(path.account, path.reseller, settings)}"}
    created = await client.post(
        "/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 3}]}, headers=headers
    )
    assert created.status_code == 201, created.text
    draft = created.json()
    draft_id: str = draft["id"]
    form = answers(path)
    while draft["current_step"] != "review":
        step = draft["current_step"]
        if step == "tenant_sign_in":
            saved = await sign_in_with_microsoft(
                client, headers, draft_id, seeded_user(path.domain)
            )
        else:
            saved = await client.put(
                f"/v1/drafts/{draft_id}/steps/{step}", json=form[step], headers=headers
            )
        assert saved.status_code == 200, f"{path.name} {step}: {saved.text}"
        draft = saved.json()
    bought = await client.post(
        f"/v1/drafts/{draft_id}/confirm",
        json={"terms_accepted": True},
        headers={**headers, "Idempotency-Key": f"buy-{path.name}"},
    )
    assert bought.status_code == 202, bought.text
    return draft_id, headers


async def wait_until_placed(
    client: httpx.AsyncClient, order_id: str, headers: dict[str, str], within: float = 45
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    seen: list[str] = []
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/orders/{order_id}", headers=headers)
        assert response.status_code == 200, response.text
        order: dict[str, Any] = response.json()
        if not seen or seen[-1] != order["status"]:
            seen.append(order["status"])
        if order["status"] in ("placed", "failed"):
            assert order["status"] == "placed", order
            return order
        await asyncio.sleep(0.1)
    raise TimeoutError(f"order {order_id} not placed in {within}s; statuses seen: {seen}")
