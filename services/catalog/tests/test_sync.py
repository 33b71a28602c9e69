"""Catalogue sync against the Partner Center simulator, including syncs that fail half way."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path

import httpx
import pytest

from nceflow.catalog.adapters.catalogue_store import CatalogueStore
from nceflow.catalog.adapters.files import load_catalogue, load_price_list, save_catalogue
from nceflow.catalog.domain.model import CatalogueDocument
from nceflow.catalog.domain.price_list import PriceList
from nceflow.catalog.settings import Settings
from nceflow.catalog.sync import sync_catalogue
from nceflow.devstack.processes import ManagedProcess, free_port, start_service
from nceflow.partner_center import PartnerCenterError, PartnerCenterSettings
from nceflow.partner_center_sim.domain.seed import load_seed

BASIC_P1Y_MONTHLY = "cfq7ttc0lh18-0001-p1y-monthly-us"


def _partner_center(url: str) -> PartnerCenterSettings:
    partner = load_seed().partner("direct")
    return PartnerCenterSettings(
        base_url=url,
        authority_url=url,
        tenant_id=partner.tenant_id,
        client_id=partner.app.client_id,
        client_secret=partner.app.client_secret,
        refresh_token=partner.app.refresh_token,
        max_attempts=2,
        backoff_initial_seconds=0.05,
        backoff_max_seconds=0.1,
        retry_budget_seconds=2,
    )


def _pc_env(url: str) -> dict[str, str]:
    settings = _partner_center(url)
    return {
        "NCEFLOW_PARTNER_CENTER_BASE_URL": url,
        "NCEFLOW_PARTNER_CENTER_AUTHORITY_URL": url,
        "NCEFLOW_PARTNER_CENTER_TENANT_ID": settings.tenant_id,
        "NCEFLOW_PARTNER_CENTER_CLIENT_ID": settings.client_id,
        "NCEFLOW_PARTNER_CENTER_CLIENT_SECRET": settings.client_secret.get_secret_value(),
        "NCEFLOW_PARTNER_CENTER_MAX_ATTEMPTS": "2",
        "NCEFLOW_PARTNER_CENTER_BACKOFF_INITIAL_SECONDS": "0.05",
        "NCEFLOW_PARTNER_CENTER_RETRY_BUDGET_SECONDS": "2",
    }


def _repriced(path: Path, plan_price: Decimal) -> Path:
    """A copy of the shipped price list with Business Basic P1Y monthly at `plan_price`."""
    prices = [
        p.model_copy(update={"unit_price": plan_price})
        if (p.product_id, p.term, p.billing_cycle) == ("CFQ7TTC0LH18", "P1Y", "monthly")
        else p
        for p in load_price_list().prices
    ]
    path.write_text(PriceList(prices=tuple(prices)).model_dump_json(indent=2))
    return path


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _same_plans(one: CatalogueDocument, other: CatalogueDocument) -> bool:
    return one.plans == other.plans and one.tiles == other.tiles


@pytest.fixture
def sim(partner_center_sim: str) -> Iterator[str]:
    httpx.post(f"{partner_center_sim}/_sim/reset").raise_for_status()
    yield partner_center_sim
    httpx.delete(f"{partner_center_sim}/_sim/faults").raise_for_status()


async def test_sync_from_the_simulator_reproduces_the_shipped_catalogue(
    sim: str, tmp_path: Path
) -> None:
    shipped = load_catalogue()
    store = CatalogueStore(shipped)
    settings = Settings(catalogue_file=tmp_path / "catalogue.json")

    report = await sync_catalogue(settings, _partner_center(sim), store=store)

    synced = store.snapshot.document
    assert _same_plans(synced, shipped)
    assert synced.synced_at is not None
    assert (report.plans, report.added, report.removed, report.changed) == (51, (), (), ())
    assert load_catalogue(settings.catalogue_file) == synced


async def test_new_prices_are_merged_and_swapped_in(sim: str, tmp_path: Path) -> None:
    store = CatalogueStore(load_catalogue())
    before = store.snapshot
    settings = Settings(
        catalogue_file=tmp_path / "catalogue.json",
        price_list_file=_repriced(tmp_path / "prices.json", Decimal("5.99")),
    )

    report = await sync_catalogue(settings, _partner_center(sim), store=store)

    assert report.changed == (BASIC_P1Y_MONTHLY,)
    assert json.loads(store.snapshot.plan(BASIC_P1Y_MONTHLY).content)["unit_price"] == "5.99"
    assert json.loads(before.plan(BASIC_P1Y_MONTHLY).content)["unit_price"] == "6.30"


async def test_sync_failing_half_way_keeps_the_old_catalogue_and_file(
    sim: str, tmp_path: Path
) -> None:
    shipped = load_catalogue()
    store = CatalogueStore(shipped)
    before = store.snapshot
    target = tmp_path / "catalogue.json"
    save_catalogue(shipped, target)
    old_bytes = target.read_bytes()
    # Every product's SKUs load except one product's availabilities, which keep failing.
    fault = {"kind": "500", "path": "/v1/products/CFQ7TTC0LFLZ/skus/*/availabilities"}
    async with httpx.AsyncClient() as client:
        (await client.post(f"{sim}/_sim/faults", json=fault)).raise_for_status()
    settings = Settings(
        catalogue_file=target,
        price_list_file=_repriced(tmp_path / "prices.json", Decimal("1.00")),
    )

    with pytest.raises(PartnerCenterError):
        await sync_catalogue(settings, _partner_center(sim), store=store)

    assert store.snapshot is before
    assert target.read_bytes() == old_bytes
    assert _names(tmp_path) == ["catalogue.json", "prices.json"]  # no temporary left behind


@pytest.mark.integration  # a real server on loopback
async def test_sync_against_an_unreachable_partner_center_changes_nothing(tmp_path: Path) -> None:
    store = CatalogueStore(load_catalogue())
    before = store.snapshot
    settings = Settings(catalogue_file=tmp_path / "catalogue.json")
    dead = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(PartnerCenterError):
        await sync_catalogue(settings, _partner_center(dead), store=store)

    assert store.snapshot is before
    assert not settings.catalogue_file.exists()  # type: ignore[union-attr]


@pytest.mark.integration  # a real server on loopback
async def test_sync_follows_changed_availabilities_and_dropped_products(tmp_path: Path) -> None:
    # A simulator whose catalog moved on: Business Basic has a new availability id and
    # Microsoft 365 Copilot is gone.
    seed = json.loads(
        resources.files("nceflow.partner_center_sim").joinpath("data/seed.json").read_text()
    )
    products = seed["catalog"]["products"]
    basic = next(p for p in products if p["id"] == "CFQ7TTC0LH18")
    basic["skus"][0]["availabilities"][0]["id"] = "CFQ7TTC0NEW1"
    seed["catalog"]["products"] = [p for p in products if p["id"] != "CFQ7TTC0MM8R"]
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps(seed))
    sim = start_service(
        "nceflow.partner_center_sim",
        free_port(),
        {"NCEFLOW_PC_SIM_SEED_PATH": str(seed_path)},
        port_variable="NCEFLOW_PC_SIM_PORT",
        log_path=tmp_path / "sim.log",
    )
    try:
        store = CatalogueStore(load_catalogue())
        settings = Settings(catalogue_file=tmp_path / "catalogue.json")
        report = await sync_catalogue(settings, _partner_center(sim.url), store=store)
    finally:
        sim.stop()

    assert set(report.removed) == {
        "cfq7ttc0mm8r-0001-p1m-monthly-us",
        "cfq7ttc0mm8r-0001-p1y-monthly-us",
        "cfq7ttc0mm8r-0001-p1y-annual-us",
    }
    assert BASIC_P1Y_MONTHLY in report.changed
    plan = json.loads(store.snapshot.plan(BASIC_P1Y_MONTHLY).content)
    assert plan["catalog_item_id"] == "CFQ7TTC0LH18:0001:CFQ7TTC0NEW1"


# ----------------------------------------------------------------- the running service


@pytest.fixture
def catalog_service(sim: str, tmp_path: Path) -> Iterator[tuple[ManagedProcess, Settings]]:
    settings = Settings(
        catalogue_file=tmp_path / "catalogue.json",
        price_list_file=_repriced(tmp_path / "prices.json", Decimal("5.99")),
    )
    proc = start_service(
        "nceflow.catalog",
        free_port(),
        {
            **_pc_env(sim),
            "NCEFLOW_CATALOG_CATALOGUE_FILE": str(settings.catalogue_file),
            "NCEFLOW_CATALOG_PRICE_LIST_FILE": str(settings.price_list_file),
            "NCEFLOW_CATALOG_ADMIN_TOKEN": "test-admin-token-of-32-characters-or-more",
            "NCEFLOW_CATALOG_RELOAD_INTERVAL_SECONDS": "0.1",
        },
        port_variable="NCEFLOW_CATALOG_PORT",
        log_path=tmp_path / "catalog.log",
    )
    try:
        yield proc, settings
    finally:
        proc.stop()


def _price(url: str) -> str:
    price: str = httpx.get(f"{url}/v1/plans/{BASIC_P1Y_MONTHLY}").json()["unit_price"]
    return price


def test_admin_sync_swaps_the_served_catalogue(
    sim: str, catalog_service: tuple[ManagedProcess, Settings]
) -> None:
    proc, _ = catalog_service
    auth = {"Authorization": "Bearer test-admin-token-of-32-characters-or-more"}
    old_etag = httpx.get(f"{proc.url}/v1/plans/{BASIC_P1Y_MONTHLY}").headers["etag"]
    assert _price(proc.url) == "6.30"

    httpx.post(f"{sim}/_sim/faults", json={"kind": "503", "path": "/v1/products"})
    failed = httpx.post(f"{proc.url}/v1/admin/sync", headers=auth, timeout=30)
    assert failed.status_code == 502
    assert failed.headers["content-type"] == "application/problem+json"
    assert _price(proc.url) == "6.30"

    httpx.delete(f"{sim}/_sim/faults").raise_for_status()
    synced = httpx.post(f"{proc.url}/v1/admin/sync", headers=auth, timeout=30)
    assert synced.status_code == 200, synced.text
    assert synced.json()["changed"] == [BASIC_P1Y_MONTHLY]
    response = httpx.get(f"{proc.url}/v1/plans/{BASIC_P1Y_MONTHLY}")
    assert response.json()["unit_price"] == "5.99"
    assert response.headers["etag"] != old_etag


def test_service_serves_what_a_cli_sync_wrote(
    sim: str, catalog_service: tuple[ManagedProcess, Settings]
) -> None:
    proc, settings = catalog_service
    assert _price(proc.url) == "6.30"

    # What `nceflow catalog sync` does: another process, no store, writes the file.
    asyncio.run(sync_catalogue(settings, _partner_center(sim)))

    deadline = time.monotonic() + 10
    while _price(proc.url) != "5.99":
        assert time.monotonic() < deadline, "the service did not pick up the synced file"
        time.sleep(0.05)


def test_cli_entry_point_reads_its_settings_from_the_environment(sim: str, tmp_path: Path) -> None:
    target = tmp_path / "catalogue.json"
    script = "from nceflow.catalog.sync import sync_from_environment as s; print(s().summary())"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **_pc_env(sim), "NCEFLOW_CATALOG_CATALOGUE_FILE": str(target)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "51 plans on 6 tiles" in done.stdout
    assert _same_plans(load_catalogue(target), load_catalogue())
