"""The reseller directory: the shipped dev directory matches the simulator's seed."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from nceflow.checkout.resellers import ResellerDirectory, load_directory
from nceflow.schemas.values import SalesModel


def sim_seed() -> dict[str, object]:
    path = resources.files("nceflow.partner_center_sim") / "data" / "seed.json"
    seed: dict[str, object] = json.loads(path.read_text("utf-8"))
    return seed


def test_the_dev_directory_has_a_direct_and_an_indirect_reseller_of_the_simulator() -> None:
    directory = load_directory()
    models = {reseller.sales_model for reseller in directory.resellers}
    assert models == {SalesModel.DIRECT, SalesModel.INDIRECT}
    partners = {p["key"]: p for p in sim_seed()["partners"]}  # type: ignore[attr-defined]
    direct = directory.get("adatum-direct")
    assert direct is not None
    assert direct.partner_id == partners["direct"]["tenantId"]
    tailspin = directory.get("tailspin-indirect")
    assert tailspin is not None
    assert tailspin.indirect_provider_partner_id == partners["indirect"]["tenantId"]
    sim_resellers = {r["partnerId"]: r for r in partners["indirect"]["resellers"]}
    assert sim_resellers[tailspin.partner_id]["mpnId"] == tailspin.mpn_id
    for reseller in directory.resellers:
        account = directory.account_for(reseller)
        assert account is not None
        assert account.tenant_id == reseller.transacting_partner_id


def test_every_reseller_and_account_is_the_simulators_partner_with_its_credentials() -> None:
    directory = load_directory()
    partners: list[dict[str, Any]] = sim_seed()["partners"]  # type: ignore[assignment]
    by_tenant = {p["tenantId"]: p for p in partners}
    for reseller in directory.resellers:
        partner = by_tenant[reseller.transacting_partner_id]
        if reseller.sales_model is SalesModel.DIRECT:
            assert partner["model"] == "direct"
            assert reseller.mpn_id == partner["mpnId"]
        else:
            assert partner["model"] == "indirectProvider"
            (seeded,) = [r for r in partner["resellers"] if r["partnerId"] == reseller.partner_id]
            assert (reseller.mpn_id, reseller.name) == (seeded["mpnId"], seeded["name"])
        assert f"partnerId={reseller.partner_id}&" in reseller.relationship_link
    for account in directory.partner_center_accounts:
        app = by_tenant[account.tenant_id]["app"]
        assert account.client_id == app["clientId"]
        assert account.client_secret.get_secret_value() == app["clientSecret"]
        assert account.refresh_token is not None
        assert account.refresh_token.get_secret_value() == app["refreshToken"]
    # Every seeded partner can be sold through: none is left out of the directory.
    assert {a.tenant_id for a in directory.partner_center_accounts} == set(by_tenant)


def test_contoso_direct_is_the_simulators_second_direct_partner_with_no_customers_yet() -> None:
    """The issue's example reseller; it must not change which customers the others see."""
    contoso = load_directory().get("contoso-direct")
    assert contoso is not None
    assert contoso.sales_model is SalesModel.DIRECT
    seed = sim_seed()
    partner = next(p for p in seed["partners"] if p["key"] == "contoso")  # type: ignore[attr-defined]
    assert (contoso.name, contoso.partner_id) == (partner["name"], partner["tenantId"])
    assert contoso.relationship_link.startswith(
        "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&"
    )
    relationships = [
        r["partner"]
        for customer in seed["customers"]  # type: ignore[attr-defined]
        for r in customer["relationships"]
    ]
    assert "contoso" not in relationships


def test_the_json_dump_masks_secrets() -> None:
    dumped = load_directory().dump_json()
    assert "sim-direct-secret" not in dumped
    assert json.loads(dumped)["resellers"][0]["id"] == "adatum-direct"


def test_a_directory_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "resellers.json"
    path.write_text(
        json.dumps({"resellers": [{"id": "x", "name": "X", "sales_model": "indirect"}]})
    )
    with pytest.raises(ValidationError):
        load_directory(path)
    assert isinstance(load_directory(), ResellerDirectory)
