"""The catalog client against the real catalog service: batch quotes, reused while fresh."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from nceflow.checkout.adapters.catalog_client import CatalogClient, freshness_seconds

BASIC = "cfq7ttc0lh18-0001-p1y-monthly-us"
UNKNOWN = "no-such-plan"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def counted(catalog_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """An HTTP client to the catalog that records the query of every request it sends."""
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.url.params.get("ids", ""))

    async with httpx.AsyncClient(base_url=catalog_url, event_hooks={"request": [record]}) as http:
        yield http, sent


async def test_fresh_quotes_are_reused_until_the_catalogs_max_age_runs_out(
    counted: tuple[httpx.AsyncClient, list[str]],
) -> None:
    http, sent = counted
    clock = Clock()
    client = CatalogClient(http, clock=clock)

    first = await client.quotes([BASIC, UNKNOWN])
    again = await client.quotes([BASIC])
    assert first[BASIC].unit_price == again[BASIC].unit_price
    assert UNKNOWN not in first
    assert sent == [f"{BASIC},{UNKNOWN}"]  # the second answer came from the cache

    # An unknown plan is asked again (it may have been added), the known one is not.
    await client.quotes([BASIC, UNKNOWN])
    assert sent[-1] == UNKNOWN

    clock.now += 61  # the shipped catalog answers `max-age=60`
    await client.quotes([BASIC])
    assert sent[-1] == BASIC
    assert len(sent) == 3


async def test_the_cache_stays_within_its_bound(
    counted: tuple[httpx.AsyncClient, list[str]],
) -> None:
    http, sent = counted
    client = CatalogClient(http, clock=Clock(), max_entries=1)
    await client.quotes([BASIC])
    await client.quotes(["cfq7ttc0lh18-0001-p1m-monthly-us"])  # evicts the first
    await client.quotes([BASIC])
    assert len(sent) == 3


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("public, max-age=60", 60),
        ("max-age=0", 0),
        ("public, max-age=60, no-cache", 0),
        ("no-store", 0),
        ("public", 0),
        (None, 0),
        ("MAX-AGE = 5", 5),
    ],
)
def test_freshness_follows_cache_control(header: str | None, seconds: int) -> None:
    assert freshness_seconds(header) == seconds
