"""Production settings, in process: what each service accepts once `NCEFLOW_ENV` is not `dev`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from nceflow.catalog.settings import Settings as CatalogSettings
from nceflow.checkout.app import create_app as create_checkout
from nceflow.checkout.auth import AuthenticationError, TokenVerifier, mint_dev_token
from nceflow.checkout.resellers import load_directory
from nceflow.checkout.settings import Settings as CheckoutSettings
from nceflow.fulfilment.settings import Settings as FulfilmentSettings
from nceflow.partner_center import PartnerCenterSettings
from nceflow.partner_center_sim.app import create_app as create_simulator
from nceflow.partner_center_sim.settings import Settings as SimulatorSettings
from nceflow.runtime.settings import HandoffSettings, KafkaSecurityProtocol, KafkaSettings
from nceflow.storefront.settings import Settings as StorefrontSettings
from nceflow.storefront.settings import SignInMode

PRODUCTION = "production"


def microsoft_partner_center() -> PartnerCenterSettings:
    """Partner Center as production points at it, with the partner's own credentials."""
    return PartnerCenterSettings(
        env=PRODUCTION,
        base_url="https://api.partnercenter.microsoft.com",
        authority_url="https://login.microsoftonline.com",
        client_secret=SecretStr("the-partners-own-secret"),
        refresh_token=SecretStr("the-partners-own-refresh-token"),
    )


def production_checkout(tmp_path: Path) -> CheckoutSettings:
    directory = tmp_path / "resellers.json"
    directory.write_text("{}")
    return CheckoutSettings(
        env=PRODUCTION,
        jwt_jwks_url="https://127.0.0.1:9/.well-known/jwks.json",
        resellers_file=directory,
        microsoft_sign_in_client_id="11111111-2222-3333-4444-555555555555",
        microsoft_sign_in_client_secret=SecretStr("the-marketplace-entra-app-secret"),
        partner_center_base_url="https://api.partnercenter.microsoft.com",
        partner_center_authority_url="https://login.microsoftonline.com",
        kafka=KafkaSettings(
            bootstrap_servers="kafka-1.internal:9093",
            security_protocol=KafkaSecurityProtocol.SASL_SSL,
            sasl_username="checkout",
            sasl_password=SecretStr("the-checkout-principal-secret"),
        ),
        handoff=own_handoff_key(),
    )


def own_handoff_key() -> HandoffSettings:
    return HandoffSettings(keys=SecretStr(Fernet.generate_key().decode()))


async def test_production_checkout_serves_no_dev_sign_in(tmp_path: Path) -> None:
    # The dev directory stands in for the reseller's own: only the routes are under test.
    app = create_checkout(production_checkout(tmp_path), load_directory())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://checkout") as client:
        listed = await client.get("/v1/dev/resellers")
        signed = await client.post(
            "/v1/dev/tokens", json={"account_id": "acme", "reseller_id": "adatum-direct"}
        )
    assert (listed.status_code, signed.status_code) == (404, 404)


@pytest.mark.integration  # a real server on loopback
async def test_production_checkout_never_accepts_or_signs_a_dev_token(tmp_path: Path) -> None:
    production = production_checkout(tmp_path)
    dev = CheckoutSettings(env="dev")
    dev_token = mint_dev_token("acme", "adatum-direct", dev)
    with pytest.raises(AuthenticationError):
        await TokenVerifier(production).verify(dev_token)
    with pytest.raises(ValueError, match="dev mode only"):
        mint_dev_token("acme", "adatum-direct", production)


def test_production_checkout_with_a_plain_http_jwks_is_refused(tmp_path: Path) -> None:
    settings = production_checkout(tmp_path).model_dump()
    with pytest.raises(ValidationError, match="NCEFLOW_CHECKOUT_JWT_JWKS_URL must be an https"):
        CheckoutSettings(**{**settings, "jwt_jwks_url": "http://idp.example/jwks"})


def test_the_storefront_defaults_to_the_platforms_tokens_and_secure_cookies() -> None:
    production = StorefrontSettings(env=PRODUCTION)
    assert production.sign_in_mode is SignInMode.TOKEN
    assert production.secure_cookies
    dev = StorefrontSettings(env="dev")
    assert dev.sign_in_mode is SignInMode.DEV
    assert not dev.secure_cookies


def test_the_simulators_control_api_exists_in_dev_mode_only() -> None:
    for env, status in (("dev", 200), (PRODUCTION, 404)):
        with TestClient(create_simulator(SimulatorSettings(env=env))) as client:
            assert client.get("/_sim/config").status_code == status, env
            assert client.get("/healthz").status_code == 200


def test_partner_center_outside_dev_needs_tls_and_its_own_credentials() -> None:
    with pytest.raises(ValidationError) as refused:
        PartnerCenterSettings(env=PRODUCTION)
    assert "NCEFLOW_PARTNER_CENTER_BASE_URL must be an https:// URL" in str(refused.value)
    assert "are the simulator's" in str(refused.value)
    real = microsoft_partner_center()
    assert real.base_url.startswith("https://")


def test_other_partners_secrets_never_show_in_a_dump_or_a_repr() -> None:
    settings = FulfilmentSettings(
        env="dev",
        partners={
            "a3d1165a-531a-4dec-81f0-3b05c05c6f96": {
                "client_id": "app",
                "client_secret": "indirect-secret-value",
                "refresh_token": "indirect-refresh-value",
            }
        },
    )
    shown = repr(settings) + settings.model_dump_json() + str(settings.model_dump())
    assert "indirect-secret-value" not in shown
    assert "indirect-refresh-value" not in shown
    (credentials,) = settings.partners.values()
    assert credentials.client_secret is not None
    assert credentials.client_secret.get_secret_value() == "indirect-secret-value"


def test_an_empty_catalog_admin_token_leaves_the_sync_endpoint_off() -> None:
    assert CatalogSettings(env=PRODUCTION, admin_token=SecretStr("")).admin_token is None
    with pytest.raises(ValidationError, match="at least 32 characters"):
        CatalogSettings(env=PRODUCTION, admin_token=SecretStr("x" * 31))
    strong = CatalogSettings(env=PRODUCTION, admin_token=SecretStr("x" * 32)).admin_token
    assert strong is not None


def test_production_fulfilment_needs_an_authenticated_kafka() -> None:
    microsoft = microsoft_partner_center()
    with pytest.raises(ValidationError, match="NCEFLOW_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"):
        FulfilmentSettings(env=PRODUCTION, partner_center=microsoft)
    kafka = KafkaSettings(
        security_protocol=KafkaSecurityProtocol.SASL_SSL,
        sasl_username="fulfilment",
        sasl_password=SecretStr("the-fulfilment-principal-secret"),
    )
    secured = FulfilmentSettings(
        env=PRODUCTION, partner_center=microsoft, kafka=kafka, handoff=own_handoff_key()
    )
    assert secured.kafka.uses_tls


def test_production_refuses_the_public_key_that_seals_new_tenants_admin_passwords(
    tmp_path: Path,
) -> None:
    """Anyone who can read Redis and this repository could open the dev key's handoffs."""
    kafka = KafkaSettings(
        security_protocol=KafkaSecurityProtocol.SASL_SSL,
        sasl_username="fulfilment",
        sasl_password=SecretStr("the-fulfilment-principal-secret"),
    )
    with pytest.raises(ValidationError, match="NCEFLOW_HANDOFF_KEYS holds the public dev key"):
        FulfilmentSettings(env=PRODUCTION, partner_center=microsoft_partner_center(), kafka=kafka)
    checkout = production_checkout(tmp_path).model_dump()
    checkout.pop("handoff")
    with pytest.raises(ValidationError, match="NCEFLOW_HANDOFF_KEYS holds the public dev key"):
        CheckoutSettings(**checkout)
