"""The simulated Entra ID sign-in: authorization-code flow with PKCE, ID tokens verified with the
published keys, and Entra's refusals (wrong password, another tenant's user, unregistered
redirect URI, a code redeemed twice, a wrong PKCE verifier)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import pytest

from nceflow.partner_center_sim.domain.seed import SignInApp
from nceflow.testing.simulator import Sim, new_customer_body, sign_in

CONTOSO = "contoso.onmicrosoft.com"
FABRIKAM = "fabrikam.onmicrosoft.com"
REDIRECT = "http://127.0.0.1:8000/sign-in/microsoft/callback"


def _app(sim: Sim) -> SignInApp:
    return sim.seed.sign_in_apps[0]


def _user(sim: Sim, domain: str) -> str:
    return sim.seed.customer_by_domain(domain).users[0].user_principal_name


class Flow:
    """One authorization request with PKCE and its secrets."""

    def __init__(self, sim: Sim, tenant: str, **overrides: str) -> None:
        self.sim = sim
        self.tenant = tenant
        self.verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(self.verifier.encode()).digest())
        self.params = {
            "client_id": _app(sim).client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "openid profile",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            **overrides,
        }

    @property
    def url(self) -> str:
        return f"{self.sim.url}/{self.tenant}/oauth2/v2.0/authorize?{urlencode(self.params)}"

    async def sign_in(self, username: str, password: str | None = None) -> httpx.URL:
        async with httpx.AsyncClient() as browser:
            if password is None:
                return await sign_in(browser, self.url, username)
            return await sign_in(browser, self.url, username, password)

    def redeem(self, code: str, **overrides: str) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "client_id": _app(self.sim).client_id,
            "client_secret": _app(self.sim).client_secret.get_secret_value(),
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": self.verifier,
            "scope": "openid profile",
            **overrides,
        }
        return self.sim.http.post(f"/{self.tenant}/oauth2/v2.0/token", data=form)


def _verified(sim: Sim, tenant: str, id_token: str) -> dict[str, Any]:
    keys = jwt.PyJWKSet.from_dict(sim.http.get(f"/{tenant}/discovery/v2.0/keys").json())
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        id_token, key.key, algorithms=["RS256"], audience=_app(sim).client_id
    )
    return claims


async def test_a_user_of_the_tenant_gets_an_id_token_naming_its_tenant(sim: Sim) -> None:
    tenant_id = sim.customer_id(CONTOSO)
    flow = Flow(sim, tenant_id)
    back = await flow.sign_in(_user(sim, CONTOSO))
    assert str(back).startswith(REDIRECT + "?")
    assert back.params["state"] == flow.params["state"]
    answer = flow.redeem(back.params["code"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer"
    claims = _verified(sim, tenant_id, body["id_token"])
    assert claims["tid"] == tenant_id
    assert claims["iss"] == f"{sim.url}/{tenant_id}/v2.0"
    assert claims["nonce"] == flow.params["nonce"]
    assert claims["preferred_username"] == _user(sim, CONTOSO)
    assert claims["ver"] == "2.0"
    config = sim.http.get(f"/{tenant_id}/v2.0/.well-known/openid-configuration").json()
    assert config["issuer"] == claims["iss"]
    assert config["jwks_uri"] == f"{sim.url}/{tenant_id}/discovery/v2.0/keys"


async def test_the_wrong_password_shows_the_page_again_with_entras_error(sim: Sim) -> None:
    flow = Flow(sim, sim.customer_id(CONTOSO))
    async with httpx.AsyncClient() as browser:
        page = await browser.get(flow.url)
        assert "<title>Sign in to your account</title>" in page.text
        for wrong in ("not-the-password", "pässwörd"):  # any text, not only ASCII
            form = {**flow.params, "login": _user(sim, CONTOSO), "passwd": wrong}
            answer = await browser.post(str(page.url.copy_with(query=None)), data=form)
            assert answer.status_code == 200
            assert "Your account or password is incorrect. (AADSTS50126)" in answer.text
            assert 'role="alert"' in answer.text


async def test_a_user_of_another_tenant_is_refused_at_a_tenants_own_authority(sim: Sim) -> None:
    flow = Flow(sim, sim.customer_id(CONTOSO))
    async with httpx.AsyncClient() as browser:
        page = await browser.get(flow.url)
        form = dict(flow.params)
        answer = await browser.post(
            str(page.url.copy_with(query=None)),
            data={**form, "login": _user(sim, FABRIKAM), "passwd": "nceflow-dev-password"},
        )
    assert answer.status_code == 200
    assert "AADSTS50020" in answer.text
    assert "code=" not in answer.headers.get("location", "")


async def test_the_organizations_authority_signs_in_any_user_as_its_own_tenant(sim: Sim) -> None:
    flow = Flow(sim, "organizations")
    back = await flow.sign_in(_user(sim, FABRIKAM))
    body = flow.redeem(back.params["code"]).json()
    claims = _verified(sim, "organizations", body["id_token"])
    assert claims["tid"] == sim.customer_id(FABRIKAM)


@pytest.mark.parametrize(
    "redirect",
    [
        "https://evil.example/sign-in/microsoft/callback",
        "http://127.0.0.1:8000/other/path",
        "http://127.0.0.1:8000/sign-in/microsoft/callback?next=/x",
    ],
)
def test_an_unregistered_redirect_uri_is_a_page_never_a_redirect(sim: Sim, redirect: str) -> None:
    flow = Flow(sim, sim.customer_id(CONTOSO), redirect_uri=redirect)
    page = httpx.get(flow.url)
    assert page.status_code == 400
    assert "AADSTS50011" in page.text
    assert "location" not in page.headers


def test_an_unknown_app_is_a_page(sim: Sim) -> None:
    flow = Flow(sim, "organizations", client_id="00000000-0000-0000-0000-000000000000")
    page = httpx.get(flow.url)
    assert page.status_code == 400
    assert "AADSTS700016" in page.text


def test_an_error_after_the_redirect_uri_is_trusted_goes_back_with_the_state(sim: Sim) -> None:
    flow = Flow(sim, "organizations", response_type="token")
    answer = httpx.get(flow.url)
    assert answer.status_code == 302
    back = httpx.URL(answer.headers["location"])
    assert back.params["error"] == "unsupported_response_type"
    assert back.params["error_description"].startswith("AADSTS700054: ")
    assert back.params["state"] == flow.params["state"]


async def test_a_code_is_redeemed_once(sim: Sim) -> None:
    flow = Flow(sim, "organizations")
    code = (await flow.sign_in(_user(sim, CONTOSO))).params["code"]
    assert flow.redeem(code).status_code == 200
    again = flow.redeem(code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_codes"] == [54005]


async def test_a_wrong_pkce_verifier_or_redirect_uri_is_an_invalid_grant(sim: Sim) -> None:
    flow = Flow(sim, "organizations")
    code = (await flow.sign_in(_user(sim, CONTOSO))).params["code"]
    wrong = flow.redeem(code, code_verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert wrong.json()["error_codes"] == [501481]
    other = Flow(sim, "organizations")
    code = (await other.sign_in(_user(sim, CONTOSO))).params["code"]
    moved = other.redeem(code, redirect_uri="http://127.0.0.1:9999/elsewhere")
    assert moved.json()["error"] == "invalid_grant"


async def test_a_wrong_client_secret_is_an_invalid_client(sim: Sim) -> None:
    flow = Flow(sim, "organizations")
    code = (await flow.sign_in(_user(sim, CONTOSO))).params["code"]
    answer = flow.redeem(code, client_secret="guess")
    assert answer.status_code == 401
    assert answer.json()["error_codes"] == [7000215]


async def test_a_loopback_redirect_on_another_port_is_accepted(sim: Sim) -> None:
    redirect = "http://127.0.0.1:41234/sign-in/microsoft/callback"
    flow = Flow(sim, "organizations", redirect_uri=redirect)
    back = await flow.sign_in(_user(sim, CONTOSO))
    assert str(back).startswith(redirect + "?code=")


async def test_the_admin_of_a_tenant_the_simulator_created_can_sign_in(sim: Sim) -> None:
    created = sim.pc(
        "POST", "/v1/customers", json=new_customer_body("signinco.onmicrosoft.com", "Sign In Co")
    )
    assert created.status_code == 201, created.text
    body = created.json()
    flow = Flow(sim, body["id"])
    async with httpx.AsyncClient() as browser:
        back = await sign_in(
            browser,
            flow.url,
            "admin@signinco.onmicrosoft.com",
            body["userCredentials"]["password"],
        )
    token = flow.redeem(back.params["code"]).json()["id_token"]
    assert _verified(sim, body["id"], token)["tid"] == body["id"]
