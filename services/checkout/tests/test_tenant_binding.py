"""An account orders only into a tenant it owns: the first order Partner Center places for an
account binds (reseller, tenant) to it, and another account of the reseller naming that tenant's
domain gets the very answer an unknown domain gets (nothing tells it whose customer that is).

Real Redis, catalog and simulator, the real app; fulfilment's `OrderPlaced` is applied through
the service as the consumer applies it."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.context import AppContext
from nceflow.checkout.settings import Settings, TenantDomainCheck
from nceflow.schemas import OrderPlaced
from nceflow.schemas.envelope import FULFILMENT_SOURCE, from_kafka, to_kafka
from nceflow.testing.checkout import seeded_user, sign_in_with_microsoft

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
CONTOSO = "contoso.onmicrosoft.com"
CONTOSO_TENANT = "0cab9e0c-7015-4b96-9819-e59f32cd0700"  # the simulator's seed
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@contoso.com",
    "phone": "+1 425 555 0100",
}


class Account:
    """One marketplace account of the reseller Adatum, walking the wizard over the API."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings, account: str) -> None:
        self.client = client
        self.headers = {
            "Authorization": f"Bearer {mint_dev_token(account, 'adatum-direct', settings)}"
        }

    async def up_to_tenant_domain(self) -> str:
        """A draft of an existing account, at the tenant domain step."""
        created = await self.client.post(
            "/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 1}]}, headers=self.headers
        )
        draft_id: str = created.json()["id"]
        await self.put(draft_id, "account", {"kind": "existing"})
        draft = (await self.get(draft_id)).json()
        if draft["current_step"] == "partner_relationship":
            await self.put(draft_id, "partner_relationship", {"authorization_done": "yes"})
        return draft_id

    async def get(self, draft_id: str) -> httpx.Response:
        return await self.client.get(f"/v1/drafts/{draft_id}", headers=self.headers)

    async def put(self, draft_id: str, step: str, data: dict[str, Any]) -> httpx.Response:
        return await self.client.put(
            f"/v1/drafts/{draft_id}/steps/{step}", json=data, headers=self.headers
        )

    async def name_tenant(self, draft_id: str, domain: str) -> httpx.Response:
        """Save the tenant domain and, when asked, sign in as the tenant's seeded user."""
        saved = await self.put(draft_id, "tenant_domain", {"primary_domain": domain})
        if saved.status_code == 200 and saved.json()["current_step"] == "tenant_sign_in":
            return await sign_in_with_microsoft(
                self.client, self.headers, draft_id, seeded_user(domain)
            )
        return saved

    async def finish_and_buy(self, draft_id: str) -> httpx.Response:
        """The steps after the tenant that this draft asks for, then Buy."""
        for step, data in [("mca", MCA), ("qualification", {"qualification": "none"})]:
            if (await self.get(draft_id)).json()["current_step"] != step:
                continue  # not asked: on record already
            response = await self.put(draft_id, step, data)
            assert response.status_code == 200, response.text
        return await self.client.post(
            f"/v1/drafts/{draft_id}/confirm",
            json={"terms_accepted": True},
            headers={**self.headers, "Idempotency-Key": draft_id},
        )

    async def orders(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (
            await self.client.get("/v1/orders", headers=self.headers)
        ).json()["items"]
        return items


async def _placed(app: FastAPI, order_id: str, tenant_id: str) -> None:
    """Fulfilment's `OrderPlaced` for the order, applied as checkout's consumer applies it."""
    event = OrderPlaced(
        order_id=order_id, correlation_id="c-1", customer_id=tenant_id, order_ids=["pc-1"]
    )
    context: AppContext = app.state.context
    await context.orders.apply_fulfilment_event(
        from_kafka(to_kafka(event, source=FULFILMENT_SOURCE).value)
    )


def _without_domain(body: dict[str, Any], domain: str) -> dict[str, Any]:
    """A problem body with the domain the caller typed taken out, to compare two refusals."""
    errors = [{**e, "reason": e["reason"].replace(domain, "<domain>")} for e in body["errors"]]
    return {**body, "errors": errors}


async def test_another_accounts_tenant_is_refused_as_an_unknown_domain(
    settings: Settings, reset_sim: None, run_app: Any, redis_prefix: str
) -> None:
    prefix = redis_prefix
    # Even where the domain check is left to fulfilment: a bound tenant is never a warning.
    for check in (TenantDomainCheck.REQUIRE, TenantDomainCheck.WARN):
        # Keys of the round's own: the first round's binding must not decide the second's.
        redis = settings.redis.model_copy(update={"key_prefix": f"{prefix}-{check.value}"})
        app = create_app(
            settings.model_copy(
                update={"tenant_domain_check": check, "relay_enabled": False, "redis": redis}
            )
        )
        async with run_app(app) as client:
            owner = Account(client, settings, f"owner-{check.value}")
            other = Account(client, settings, f"other-{check.value}")
            # Account A's first order placed in Contoso's tenant binds the tenant to A.
            first = await owner.up_to_tenant_domain()
            saved = await owner.name_tenant(first, CONTOSO)
            assert saved.status_code == 200, saved.text
            assert (await owner.finish_and_buy(first)).status_code == 202
            # Account B reached the tenant step before the binding: its Buy is refused too.
            raced = await other.up_to_tenant_domain()
            early = await other.name_tenant(raced, CONTOSO)
            assert early.status_code == 200, early.text
            await _placed(app, first, CONTOSO_TENANT)

            late = await other.finish_and_buy(raced)
            assert late.status_code == 422, late.text
            assert late.json()["errors"][0]["field"] == "primary_domain"

            drafted = await other.up_to_tenant_domain()
            refused = await other.put(drafted, "tenant_domain", {"primary_domain": CONTOSO})
            assert (await other.get(drafted)).json()["current_step"] == "tenant_domain"
            unknown = await other.put(
                drafted, "tenant_domain", {"primary_domain": "nobody.onmicrosoft.com"}
            )
            if check is TenantDomainCheck.REQUIRE:
                assert unknown.status_code == 422
                assert _without_domain(refused.json(), CONTOSO) == _without_domain(
                    unknown.json(), "nobody.onmicrosoft.com"
                )
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert await other.orders() == []  # no order, so no OrderConfirmed either

            # The owner goes on ordering into its tenant, without naming it again.
            second = await owner.up_to_tenant_domain()
            draft = (await owner.get(second)).json()
            # The first order's MCA acceptance is on record too: not asked again.
            assert draft["current_step"] == "qualification"
            assert draft["tenant"] == {"primary_domain": CONTOSO, "ownership": "bound"}
            steps = {step["id"]: step["status"] for step in draft["steps"]}
            assert steps["tenant_domain"] == steps["tenant_sign_in"] == steps["mca"] == "skipped"
            assert (await owner.finish_and_buy(second)).status_code == 202
            assert len(await owner.orders()) == 2


async def test_the_tenant_stays_with_the_first_account_placed_in_it(
    settings: Settings, reset_sim: None, run_app: Any
) -> None:
    """Two accounts' orders placed in one tenant (both bought before either was placed): the
    first placed keeps it, the second does not take it over."""
    app = create_app(settings.model_copy(update={"relay_enabled": False}))
    async with run_app(app) as client:
        first, second = Account(client, settings, "first"), Account(client, settings, "second")
        drafts = []
        for account in (first, second):
            draft_id = await account.up_to_tenant_domain()
            saved = await account.name_tenant(draft_id, CONTOSO)
            assert saved.status_code == 200, saved.text
            assert (await account.finish_and_buy(draft_id)).status_code == 202
            drafts.append(draft_id)
        await _placed(app, drafts[0], CONTOSO_TENANT)
        await _placed(app, drafts[1], CONTOSO_TENANT)
        context: AppContext = app.state.context
        assert await context.store.tenant_owner("adatum-direct", CONTOSO_TENANT) == "first"
        nxt = await second.up_to_tenant_domain()
        refused = await second.put(nxt, "tenant_domain", {"primary_domain": CONTOSO})
        assert refused.status_code == 422
