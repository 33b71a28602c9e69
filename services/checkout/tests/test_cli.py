"""`nceflow checkout dev-token`: a token checkout accepts, with the tenant claim on request."""

from __future__ import annotations

import jwt
from typer.testing import CliRunner

from nceflow.checkout.cli import app
from nceflow.checkout.settings import DEV_JWT_SECRET

CONTOSO_TENANT = "0cab9e0c-7015-4b96-9819-e59f32cd0700"


def _claims(token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token, DEV_JWT_SECRET, algorithms=["HS256"], audience="nceflow-checkout"
    )
    return claims


def test_a_dev_token_names_the_account_and_reseller_and_a_tenant_only_when_asked() -> None:
    runner = CliRunner()
    plain = runner.invoke(app, ["dev-token", "--account", "acme", "--reseller", "adatum-direct"])
    assert plain.exit_code == 0, plain.output
    claims = _claims(plain.output.strip())
    assert (claims["sub"], claims["reseller"]) == ("acme", "adatum-direct")
    assert "ms_tenant_id" not in claims
    bound = runner.invoke(
        app,
        [
            "dev-token",
            "--account",
            "acme",
            "--reseller",
            "adatum-direct",
            "--tenant-id",
            CONTOSO_TENANT,
        ],
    )
    assert bound.exit_code == 0, bound.output
    assert _claims(bound.output.strip())["ms_tenant_id"] == CONTOSO_TENANT
