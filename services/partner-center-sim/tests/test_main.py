"""`python -m nceflow.partner_center_sim` as its own process (the devstack's fixture)."""

from __future__ import annotations

import uuid

import httpx

from nceflow.partner_center_sim.domain.seed import load_seed
from nceflow.testing.simulator import PC_RESOURCE


def test_the_module_serves_partner_center_and_entra(partner_center_sim: str) -> None:
    seed = load_seed()
    partner = seed.partner("direct")
    with httpx.Client(base_url=partner_center_sim, timeout=10) as http:
        assert http.post("/_sim/reset").status_code == 200
        assert http.get("/healthz").json()["status"] == "ok"
        config = http.get("/_sim/config").json()
        assert config["rate_limit_per_minute"] == 500
        assert config["token_lifetime_seconds"] == 3600
        token = http.post(
            f"/{partner.tenant_id}/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": partner.app.client_id,
                "client_secret": partner.app.client_secret.get_secret_value(),
                "resource": PC_RESOURCE,
            },
        ).json()["access_token"]
        response = http.head(
            "/v1/domains/contoso.onmicrosoft.com",
            headers={"Authorization": f"Bearer {token}", "MS-RequestId": str(uuid.uuid4())},
        )
        assert response.status_code == 200
