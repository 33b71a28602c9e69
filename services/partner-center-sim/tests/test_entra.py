"""The simulated Microsoft Entra ID token endpoint (v1 and v2)."""

from __future__ import annotations

import pytest

from nceflow.testing.simulator import PC_RESOURCE, Sim


def _form(sim: Sim, key: str = "direct", **overrides: str) -> dict[str, str]:
    partner = sim.partner(key)
    form = {
        "grant_type": "client_credentials",
        "client_id": partner.app.client_id,
        "client_secret": partner.app.client_secret.get_secret_value(),
        "resource": PC_RESOURCE,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v != ""}


def test_client_credentials_v1_issues_a_bearer_token_with_string_expiry(sim: Sim) -> None:
    tenant = sim.partner().tenant_id
    response = sim.http.post(f"/{tenant}/oauth2/token", data=_form(sim))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "3600"  # v1 answers strings, like Entra
    assert body["resource"] == PC_RESOURCE
    assert "refresh_token" not in body
    assert body["access_token"]


def test_refresh_token_v2_issues_app_user_token_and_a_new_refresh_token(sim: Sim) -> None:
    partner = sim.partner("indirect")
    form = {
        "grant_type": "refresh_token",
        "client_id": partner.app.client_id,
        "client_secret": partner.app.client_secret.get_secret_value(),
        "refresh_token": partner.app.refresh_token.get_secret_value(),
        "scope": f"{PC_RESOURCE}/.default offline_access",
    }
    response = sim.http.post(f"/{partner.tenant_id}/oauth2/v2.0/token", data=form)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] == 3600
    rotated = body["refresh_token"]
    assert rotated != form["refresh_token"]
    again = sim.http.post(
        f"/{partner.tenant_id}/oauth2/v2.0/token", data=form | {"refresh_token": rotated}
    )
    assert again.status_code == 200
    relationships = sim.http.get(
        "/v1/relationships",
        params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
        headers={
            "Authorization": f"Bearer {again.json()['access_token']}",
            "MS-RequestId": "0b30452a-8be2-4b8b-b25b-2d4850f4345f",
        },
    )
    assert relationships.status_code == 200


def test_token_lifetime_follows_runtime_config(sim: Sim) -> None:
    assert sim.http.patch("/_sim/config", json={"token_lifetime_seconds": 120}).status_code == 200
    response = sim.http.post(f"/{sim.partner().tenant_id}/oauth2/token", data=_form(sim))
    assert response.json()["expires_in"] == "120"


@pytest.mark.parametrize(
    ("overrides", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, 401, "invalid_client", 7000218),
        ({"client_id": "00000000-0000-0000-0000-000000000000"}, 400, "unauthorized_client", 700016),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"grant_type": ""}, 400, "invalid_request", 900144),
        ({"resource": "https://graph.microsoft.com"}, 400, "invalid_resource", 500011),
        (
            {"grant_type": "refresh_token", "refresh_token": "stolen"},
            400,
            "invalid_grant",
            70000,
        ),
    ],
)
def test_bad_credentials_get_entra_shaped_errors(
    sim: Sim, overrides: dict[str, str], status: int, error: str, code: int
) -> None:
    tenant = sim.partner().tenant_id
    response = sim.http.post(f"/{tenant}/oauth2/token", data=_form(sim, **overrides))
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}:")
    assert {"timestamp", "trace_id", "correlation_id"} <= body.keys()
    assert sim.partner().app.client_secret.get_secret_value() not in response.text


def test_unknown_tenant_and_other_partners_tenant_are_refused(sim: Sim) -> None:
    unknown = sim.http.post("/11111111-1111-1111-1111-111111111111/oauth2/token", data=_form(sim))
    assert unknown.json()["error_codes"] == [90002]
    other = sim.http.post(f"/{sim.partner('indirect').tenant_id}/oauth2/token", data=_form(sim))
    assert other.json()["error_codes"] == [700016]


def test_json_body_is_refused_like_entra(sim: Sim) -> None:
    response = sim.http.post(f"/{sim.partner().tenant_id}/oauth2/token", json=_form(sim))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
