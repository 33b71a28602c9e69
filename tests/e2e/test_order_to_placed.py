"""End to end: a customer walks checkout's wizard over its API, clicks Buy, and fulfilment places
the order in Partner Center (the simulator). Every wizard path ends with exactly the expected
customer, agreement, qualification, one cart and one order, and the customer sees `placed`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.settings import Settings as CheckoutSettings

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
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


@dataclass(frozen=True)
class Path:
    """One way through the wizard and what Partner Center must hold afterwards."""

    name: str
    account: str
    reseller: str
    kind: str  # new | existing
    domain: str  # the tenant's domain in the simulator
    qualification: str = "none"
    accept_relationship_first: bool = False


PATHS = [
    Path("new-direct", "e2e-a", "adatum-direct", "new", "e2enewdirect.onmicrosoft.com"),
    Path(
        "new-indirect-soe",
        "e2e-b",
        "tailspin-indirect",
        "new",
        "e2enewindirect.onmicrosoft.com",
        qualification="state_owned_entity",
    ),
    Path("existing-direct", "e2e-c", "adatum-direct", "existing", "contoso.onmicrosoft.com"),
    Path(
        "existing-no-mca-soe",
        "e2e-d",
        "adatum-direct",
        "existing",
        "fabrikam.onmicrosoft.com",
        qualification="state_owned_entity",
    ),
    Path(
        "existing-relationship-accepted-in-wizard",
        "e2e-e",
        "adatum-direct",
        "existing",
        "northwind.onmicrosoft.com",
        accept_relationship_first=True,
    ),
    Path("existing-indirect", "e2e-f", "tailspin-indirect", "existing", "contoso.onmicrosoft.com"),
    Path(
        "new-contoso-direct", "e2e-g", "contoso-direct", "new", "e2econtosodirect.onmicrosoft.com"
    ),
]
# The simulator's partner that places each reseller's orders (the indirect provider for Tailspin).
PLACED_BY = {
    "adatum-direct": "direct",
    "tailspin-indirect": "indirect",
    "contoso-direct": "contoso",
}


def answers(path: Path) -> dict[str, dict[str, Any]]:
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


async def customers(sim: httpx.AsyncClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await sim.get("/_sim/customers")).json()["items"]
    return items


async def listed(sim: httpx.AsyncClient, customer_id: str, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await sim.get(f"/_sim/customers/{customer_id}/{kind}")).json()[
        "items"
    ]
    return items


async def buy_through_the_wizard(
    client: httpx.AsyncClient, settings: CheckoutSettings, path: Path
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


async def run_path(
    client: httpx.AsyncClient, settings: CheckoutSettings, sim: httpx.AsyncClient, path: Path
) -> None:
    before = await customers(sim)
    existing = next((c for c in before if c["domain"] == path.domain), None)
    carts_before = await listed(sim, existing["id"], "carts") if existing else []
    orders_before = await listed(sim, existing["id"], "orders") if existing else []
    if path.accept_relationship_first:
        assert existing is not None
        accepted = await sim.post(f"/_sim/customers/{existing['id']}/accept-relationship")
        accepted.raise_for_status()

    order_id, headers = await buy_through_the_wizard(client, settings, path)
    order = await wait_until_placed(client, order_id, headers)

    after = await customers(sim)
    mine = [c for c in after if c["domain"] == path.domain]
    assert len(mine) == 1, f"{path.name}: {len(mine)} customers with {path.domain}"
    tenant = mine[0]
    if path.kind == "new":
        assert existing is None  # created by this order, and only once (checked above)
    else:
        assert existing is not None
        assert tenant["id"] == existing["id"]
    assert tenant["mcaAccepted"] is True
    assert ("StateOwnedEntity" in tenant["qualifications"]) == (
        path.qualification == "state_owned_entity"
    )
    assert tenant["qualifications"].count("StateOwnedEntity") <= 1
    carts = await listed(sim, tenant["id"], "carts")
    orders = await listed(sim, tenant["id"], "orders")
    assert len(carts) == len(carts_before) + 1, path.name
    assert len(orders) == len(orders_before) + 1, path.name
    new_order = next(o for o in orders if o["id"] not in {b["id"] for b in orders_before})
    assert new_order["cartId"] not in {c["id"] for c in carts_before}
    if path.reseller == "tailspin-indirect":
        assert new_order["lineItems"][0]["partnerIdOnRecord"] == "6203118"
    assert new_order["partner"] == PLACED_BY[path.reseller], path.name
    # What the customer sees names the same Partner Center customer and order.
    assert order["partner_center"]["customer_id"] == tenant["id"]
    assert order["partner_center"]["order_ids"] == [new_order["id"]]


@pytest.mark.timeout(120)
async def test_every_wizard_path_ends_with_one_order_placed(
    stack: tuple[httpx.AsyncClient, CheckoutSettings], sim: httpx.AsyncClient
) -> None:
    client, settings = stack
    by_customer: dict[str, list[Path]] = {}
    for path in PATHS:
        by_customer.setdefault(path.domain, []).append(path)

    async def one_customer(paths: list[Path]) -> None:
        for path in paths:  # orders of one tenant one after the other: clean before/after counts
            await run_path(client, settings, sim, path)

    await asyncio.gather(*(one_customer(paths) for paths in by_customer.values()))
    all_orders = (await sim.get("/_sim/orders")).json()["items"]
    assert len(all_orders) == len(PATHS)
