"""The tiers the plugin gives tests: `make test-unit` selects by them."""

from __future__ import annotations

from pathlib import Path

import pytest

from nceflow.devstack.pytest_plugin import pytest_collection_modifyitems


class Item:
    """What the hook reads of a collected test."""

    def __init__(self, path: str, fixtures: tuple[str, ...], *marks: str) -> None:
        self.path = Path(path)
        self.fixturenames = list(fixtures)
        self.marks = list(marks)

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.marks else None

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.name)


@pytest.mark.parametrize(
    ("item", "tier"),
    [
        (Item("services/checkout/tests/test_steps.py", ("tmp_path",)), "unit"),
        (Item("services/checkout/tests/test_outbox.py", ("redis_url",)), "integration"),
        (Item("services/x/tests/test_y.py", ("checkout", "kafka_server")), "integration"),
        (Item("services/partner-center-sim/tests/test_carts.py", ("sim_server",)), "integration"),
        (Item("tests/e2e/test_order_to_placed.py", ("redis_url",)), "e2e"),
        (Item("tests/browser/test_storefront.py", ()), "e2e"),
        (Item("shared/runtime/tests/test_problems.py", (), "integration"), "integration"),
    ],
)
def test_each_test_gets_one_tier(item: Item, tier: str) -> None:
    pytest_collection_modifyitems([item])  # type: ignore[list-item]
    assert [mark for mark in item.marks if mark in ("unit", "integration", "e2e")] == [tier]
