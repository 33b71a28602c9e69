"""The reseller directory: the shipped dev directory matches the simulator's seed."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from pydantic import ValidationError

from nceflow.checkout.domain.draft import SalesModel
from nceflow.checkout.resellers import ResellerDirectory, load_directory


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
