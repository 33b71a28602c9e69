"""Helpers for tests that need a simulator: an in-thread server and a Partner Center caller.

Used by the simulator's own tests and available to other members' tests (the client's, for
example) that want a simulator with chosen settings in their own process.
"""

from __future__ import annotations

import html
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from nceflow.partner_center_sim.app import create_app
from nceflow.partner_center_sim.domain.seed import Partner, Seed
from nceflow.partner_center_sim.settings import Settings

PC_RESOURCE = "https://api.partnercenter.microsoft.com"
DEV_PASSWORD = "nceflow-dev-password"  # noqa: S105 - every seeded user's, dev only
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def new_customer_body(
    domain: str, company_name: str = "Tailspin Toys", **extra: Any
) -> dict[str, Any]:
    """A "Create a customer" request body for a new tenant with `domain` (`extra` adds members,
    e.g. `associatedPartnerId`)."""
    return {
        "companyProfile": {"domain": domain},
        "billingProfile": {
            "culture": "EN-US",
            "email": "admin@example.com",
            "language": "En",
            "companyName": company_name,
            "defaultAddress": {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "addressLine1": "1 Main St",
                "city": "Redmond",
                "state": "WA",
                "postalCode": "98052",
                "country": "US",
                "phoneNumber": "4255550100",
            },
        },
        **extra,
    }


async def sign_in(
    http: httpx.AsyncClient, authorize_url: str, username: str, password: str = DEV_PASSWORD
) -> httpx.URL:
    """Sign in at the simulator's authorize URL as a browser would (the page, then its form)
    and return where Microsoft sends the browser: the redirect URI with `code` and `state`, or
    with `error`. A sign-in the page refuses (wrong password, another tenant's user) returns
    the authorize URL itself, without a code."""
    page = await http.get(authorize_url)
    if page.status_code == 302:
        return httpx.URL(page.headers["location"])
    assert page.status_code == 200, page.text
    form = {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}
    answer = await http.post(
        str(page.url.copy_with(query=None)), data={**form, "login": username, "passwd": password}
    )
    if answer.status_code == 302:
        return httpx.URL(answer.headers["location"])
    assert answer.status_code == 200, answer.text
    return page.url


class ServerThread:
    """uvicorn serving one simulator app on a free port in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        """Prepare a server for `settings` (its port is chosen on start)."""
        self.port = 0
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("simulator did not start")
            time.sleep(0.01)
        # Port 0 lets the OS choose a free port without a race; read back which one.
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Sim:
    """A reset simulator, its seed, and helpers to call it like a Partner Center client."""

    url: str
    seed: Seed
    http: httpx.Client
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def partner(self, key: str = "direct") -> Partner:
        """A seeded partner (`direct` or `indirect`)."""
        return self.seed.partner(key)

    def token(self, key: str = "direct", *, app_user: bool = True) -> str:
        """An access token for a seeded partner (App+User by default), cached per test."""
        cache_key = (key, "app_user" if app_user else "app")
        if cache_key not in self._tokens:
            partner = self.partner(key)
            form = {
                "client_id": partner.app.client_id,
                "client_secret": partner.app.client_secret.get_secret_value(),
                "resource": PC_RESOURCE,
            }
            if app_user:
                form |= {
                    "grant_type": "refresh_token",
                    "refresh_token": partner.app.refresh_token.get_secret_value(),
                }
            else:
                form["grant_type"] = "client_credentials"
            response = self.http.post(f"/{partner.tenant_id}/oauth2/token", data=form)
            assert response.status_code == 200, response.text
            self._tokens[cache_key] = response.json()["access_token"]
        return self._tokens[cache_key]

    def headers(
        self,
        key: str = "direct",
        *,
        app_user: bool = True,
        request_id: str | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, str]:
        """Partner Center request headers with a fresh MS-RequestId unless one is given."""
        return {
            "Authorization": f"Bearer {self.token(key, app_user=app_user)}",
            "Accept": "application/json",
            "MS-RequestId": request_id or str(uuid.uuid4()),
            "MS-CorrelationId": correlation_id or str(uuid.uuid4()),
        }

    def pc(
        self,
        method: str,
        path: str,
        key: str = "direct",
        *,
        app_user: bool = True,
        request_id: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call Partner Center as a seeded partner."""
        headers = self.headers(key, app_user=app_user, request_id=request_id)
        headers |= kwargs.pop("headers", {})
        return self.http.request(method, path, headers=headers, **kwargs)

    def customer_id(self, domain: str) -> str:
        """The tenant id of a seeded customer."""
        return self.seed.customer_by_domain(domain).id

    def catalog_item(self, product_id: str = "CFQ7TTC0LFLX") -> str:
        """The seeded `productId:skuId:availabilityId` of a product (default: Microsoft 365 E3)."""
        product = next(p for p in self.seed.catalog.products if p.id == product_id)
        sku = product.skus[0]
        return f"{product.id}:{sku.id}:{sku.availabilities[0].id}"

    def cart_body(
        self,
        *,
        product_id: str = "CFQ7TTC0LFLX",
        quantity: int = 5,
        billing_cycle: str = "monthly",
        term: str = "P1Y",
        reseller_mpn: str | None = None,
        attestation: bool | None = True,
    ) -> dict[str, Any]:
        """A one-line cart request body, attested (add `reseller_mpn` for indirect sales;
        `attestation=None` leaves the field out)."""
        line: dict[str, Any] = {
            "id": 0,
            "catalogItemId": self.catalog_item(product_id),
            "quantity": quantity,
            "billingCycle": billing_cycle,
            "termDuration": term,
        }
        body: dict[str, Any] = {"lineItems": [line]}
        if reseller_mpn is not None:
            line["participants"] = [{"key": "transaction_reseller", "value": reseller_mpn}]
        if attestation is not None:
            body["PartnerOnRecordAttestationAccepted"] = attestation
        return body

    def place_cart(self, domain: str = "contoso.onmicrosoft.com", key: str = "direct") -> str:
        """Create a valid cart for a customer and return its id."""
        body = (
            self.cart_body(reseller_mpn=self.partner(key).resellers[0].mpn_id, attestation=True)
            if key == "indirect"
            else self.cart_body()
        )
        response = self.pc(
            "POST", f"/v1/customers/{self.customer_id(domain)}/carts", key, json=body
        )
        assert response.status_code == 201, response.text
        cart_id: str = response.json()["id"]
        return cart_id

    def sim_orders(self, customer_id: str) -> list[dict[str, Any]]:
        """Every order of a customer, from the simulator's own inspection API."""
        response = self.http.get(f"/_sim/customers/{customer_id}/orders")
        assert response.status_code == 200
        items: list[dict[str, Any]] = response.json()["items"]
        return items
