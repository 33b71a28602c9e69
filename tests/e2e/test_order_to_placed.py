"""End to end: a customer walks checkout's wizard over its API, clicks Buy, and fulfilment places
the order in Partner Center (the simulator). Every wizard path ends with exactly the expected
customer, agreement, qualification, one cart and one order, and the customer sees `placed`."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.testing.checkout import WizardPath as Path
from nceflow.testing.checkout import buy_through_the_wizard, wait_until_placed
from nceflow.testing.fulfilment import sim_items

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


async def customers(sim: httpx.AsyncClient) -> list[dict[str, Any]]:
    return await sim_items(sim, "/_sim/customers")


async def listed(sim: httpx.AsyncClient, customer_id: str, kind: str) -> list[dict[str, Any]]:
    return await sim_items(sim, f"/_sim/customers/{customer_id}/{kind}")


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
