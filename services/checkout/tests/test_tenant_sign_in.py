"""Proof that an existing tenant is the customer's: a Microsoft sign-in as a user of it.

Real Redis, catalog and the simulator's Entra endpoints (authorize page, token, JWKS), the real
app: checkout redeems the code and verifies the ID token itself. The reseller may take the
customer's word instead (`tenant_proof: declared`), and a platform may name the tenant in its
token (`ms_tenant_id`): then no sign-in is asked, and no other tenant is accepted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from nceflow.checkout.app import create_app
from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.domain.draft import TenantProof
from nceflow.checkout.resellers import ResellerDirectory, load_directory
from nceflow.checkout.settings import Settings
from nceflow.testing import simulator as sim
from nceflow.testing.checkout import (
    SIGN_IN_REDIRECT_URI,
    microsoft_callback,
    seeded_user,
    sign_in_with_microsoft,
)

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
CONTOSO = "contoso.onmicrosoft.com"
CONTOSO_TENANT = "0cab9e0c-7015-4b96-9819-e59f32cd0700"
FABRIKAM = "fabrikam.onmicrosoft.com"
MCA = {
    "accepted": "yes",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@contoso.com",
    "phone": "+1 425 555 0100",
}


class Account:
    """One marketplace account of the reseller Adatum, over the API."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def at_tenant_domain(self) -> str:
        created = await self.client.post(
            "/v1/drafts", json={"items": [{"plan_id": BASIC, "quantity": 1}]}, headers=self.headers
        )
        assert created.status_code == 201, created.text
        draft_id: str = created.json()["id"]
        saved = await self.put(draft_id, "account", {"kind": "existing"})
        if saved.json()["current_step"] == "partner_relationship":
            await self.put(draft_id, "partner_relationship", {"authorization_done": "yes"})
        return draft_id

    async def put(self, draft_id: str, step: str, data: dict[str, Any]) -> httpx.Response:
        return await self.client.put(
            f"/v1/drafts/{draft_id}/steps/{step}", json=data, headers=self.headers
        )

    async def draft(self, draft_id: str) -> dict[str, Any]:
        body: dict[str, Any] = (
            await self.client.get(f"/v1/drafts/{draft_id}", headers=self.headers)
        ).json()
        return body


def _directory(proof: TenantProof) -> ResellerDirectory:
    shipped = load_directory()
    resellers = tuple(r.model_copy(update={"tenant_proof": proof}) for r in shipped.resellers)
    return shipped.model_copy(update={"resellers": resellers})


@pytest.fixture
async def client(settings: Settings, reset_sim: None, run_app: Any) -> AsyncIterator[Any]:
    async with run_app(create_app(settings.model_copy(update={"relay_enabled": False}))) as c:
        yield c


async def test_a_user_of_the_tenant_signs_in_and_the_draft_goes_on(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = Account(client, mint_dev_token("ada", "adatum-direct", settings))
    draft_id = await account.at_tenant_domain()
    named = await account.put(draft_id, "tenant_domain", {"primary_domain": CONTOSO})
    assert named.status_code == 200, named.text
    body = named.json()
    assert body["current_step"] == "tenant_sign_in"
    assert body["form"]["title"] == "Sign in with Microsoft"
    assert body["form"]["submit"]["href"] == f"/v1/drafts/{draft_id}/microsoft-sign-in"
    # Buy cannot jump over the sign-in.
    early = await client.post(
        f"/v1/drafts/{draft_id}/confirm",
        json={"terms_accepted": True},
        headers={**account.headers, "Idempotency-Key": "early"},
    )
    assert early.status_code == 409, early.text
    assert early.json()["current_step"] == "tenant_sign_in"

    signed = await sign_in_with_microsoft(client, account.headers, draft_id, seeded_user(CONTOSO))
    assert signed.status_code == 200, signed.text
    draft = signed.json()
    assert draft["current_step"] == "mca"
    assert draft["data"]["tenant_sign_in"]["tenant_id"] == CONTOSO_TENANT
    assert draft["data"]["tenant_sign_in"]["username"] == seeded_user(CONTOSO)
    assert draft["tenant"] == {"primary_domain": CONTOSO, "ownership": "sign_in"}


async def test_a_user_of_another_tenant_is_refused_at_microsoft_and_at_checkout(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = Account(client, mint_dev_token("mallory", "adatum-direct", settings))
    draft_id = await account.at_tenant_domain()
    await account.put(draft_id, "tenant_domain", {"primary_domain": CONTOSO})
    # The authorize URL names Contoso's tenant: Microsoft's own page refuses Fabrikam's user.
    refused = await microsoft_callback(client, account.headers, draft_id, seeded_user(FABRIKAM))
    assert "code" not in refused
    # A customer who edits the URL to sign in anywhere (`organizations`) gets a code, but the
    # ID token names Fabrikam's tenant: checkout refuses it.
    started = await client.post(
        f"/v1/drafts/{draft_id}/microsoft-sign-in",
        json={"redirect_uri": SIGN_IN_REDIRECT_URI},
        headers=account.headers,
    )
    url = urlsplit(started.json()["authorize_url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    tampered = urlunsplit(
        url._replace(path=url.path.replace(CONTOSO_TENANT, "organizations"), query=urlencode(query))
    )
    async with httpx.AsyncClient(timeout=10) as browser:
        back = dict((await sim.sign_in(browser, tampered, seeded_user(FABRIKAM))).params)
    assert "code" in back, back
    answer = await account.put(
        draft_id, "tenant_sign_in", {"code": back["code"], "state": back["state"]}
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()["errors"][0]
    assert problem["field"] == "code"
    assert seeded_user(FABRIKAM) in problem["reason"]
    assert (await account.draft(draft_id))["current_step"] == "tenant_sign_in"


async def test_a_sign_in_answer_counts_once_and_only_for_its_own_draft(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = Account(client, mint_dev_token("ada", "adatum-direct", settings))
    first, second = await account.at_tenant_domain(), await account.at_tenant_domain()
    for draft_id in (first, second):
        await account.put(draft_id, "tenant_domain", {"primary_domain": CONTOSO})
    back = await microsoft_callback(client, account.headers, first, seeded_user(CONTOSO))
    answer = {"code": back["code"], "state": back["state"]}
    # Another draft's sign-in does not prove this one (and the answer is spent on the way).
    elsewhere = await account.put(second, "tenant_sign_in", answer)
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "state"
    again = await account.put(first, "tenant_sign_in", answer)
    assert again.status_code == 422
    # Nor does another account's sign-in, even for the same draft id.
    other = Account(client, mint_dev_token("mallory", "adatum-direct", settings))
    back = await microsoft_callback(client, account.headers, first, seeded_user(CONTOSO))
    stolen = await other.put(
        first, "tenant_sign_in", {"code": back["code"], "state": back["state"]}
    )
    assert stolen.status_code == 404
    fine = await account.put(
        first, "tenant_sign_in", {"code": back["code"], "state": back["state"]}
    )
    assert fine.status_code == 200, fine.text


async def test_a_reseller_may_take_the_customers_word(
    settings: Settings, reset_sim: None, run_app: Any
) -> None:
    app = create_app(
        settings.model_copy(update={"relay_enabled": False}), _directory(TenantProof.DECLARED)
    )
    async with run_app(app) as client:
        account = Account(client, mint_dev_token("ada", "adatum-direct", settings))
        draft_id = await account.at_tenant_domain()
        named = await account.put(draft_id, "tenant_domain", {"primary_domain": CONTOSO})
        assert named.status_code == 200, named.text
        assert named.json()["current_step"] == "mca"
        assert named.json()["tenant"]["ownership"] == "declared"
        steps = {step["id"]: step["status"] for step in named.json()["steps"]}
        assert steps["tenant_sign_in"] == "skipped"


async def test_a_platform_names_the_tenant_in_its_token_and_no_other_is_accepted(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token = mint_dev_token("ada", "adatum-direct", settings, tenant_id=CONTOSO_TENANT.upper())
    account = Account(client, token)
    draft_id = await account.at_tenant_domain()
    other = await account.put(draft_id, "tenant_domain", {"primary_domain": FABRIKAM})
    unknown = await account.put(
        draft_id, "tenant_domain", {"primary_domain": "nobody.onmicrosoft.com"}
    )
    assert other.status_code == unknown.status_code == 422
    assert other.json()["errors"][0]["field"] == "primary_domain"
    named = await account.put(draft_id, "tenant_domain", {"primary_domain": CONTOSO})
    assert named.status_code == 200, named.text
    assert named.json()["current_step"] == "mca"
    assert named.json()["tenant"]["ownership"] == "claimed"


async def test_a_token_whose_tenant_claim_is_no_tenant_id_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    token = mint_dev_token("ada", "adatum-direct", settings, tenant_id="contoso.onmicrosoft.com")
    answer = await client.get("/v1/orders", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
