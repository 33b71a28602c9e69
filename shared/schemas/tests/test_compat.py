"""Each compatibility rule fires on the change it names, and stays quiet on compatible ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from nceflow.schemas.compat import Rule, breaking_changes, check_against_baseline
from nceflow.schemas.events import EVENT_CLASSES

BASE: dict[str, Any] = {
    "type": "object",
    "title": "OrderThing",
    "required": ["order_id", "status", "lines"],
    "properties": {
        "order_id": {"type": "string", "maxLength": 64},
        "status": {"$ref": "#/$defs/Status"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "maxItems": 10},
        "totals": {
            "type": "object",
            "patternProperties": {"^[A-Z]{3}$": {"type": "string"}},
        },
        "party": {
            "oneOf": [{"$ref": "#/$defs/Person"}, {"$ref": "#/$defs/Company"}],
            "discriminator": {"propertyName": "kind"},
        },
    },
    "$defs": {
        "Status": {"title": "Status", "type": "string", "enum": ["open", "closed"]},
        "Line": {
            "title": "Line",
            "type": "object",
            "required": ["sku"],
            "properties": {"sku": {"type": "string", "pattern": "^[A-Z0-9]+$"}},
        },
        "Person": {
            "title": "Person",
            "type": "object",
            "properties": {"kind": {"const": "person", "type": "string"}},
        },
        "Company": {
            "title": "Company",
            "type": "object",
            "properties": {"kind": {"const": "company", "type": "string"}},
        },
    },
}

Edit = Callable[[dict[str, Any]], None]


def _rules_after(edit: Edit) -> list[tuple[Rule, str]]:
    new = copy.deepcopy(BASE)
    edit(new)
    return [(change.rule, change.path) for change in breaking_changes(BASE, new)]


def test_identical_schemas_are_compatible() -> None:
    assert breaking_changes(BASE, copy.deepcopy(BASE)) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda s: s["properties"].pop("note"),
            (Rule.FIELD_REMOVED, "note"),
            id="optional field removed",
        ),
        pytest.param(
            lambda s: s["$defs"]["Line"]["properties"].pop("sku"),
            (Rule.FIELD_REMOVED, "lines[].sku"),
            id="nested field removed",
        ),
        pytest.param(
            lambda s: (
                s["properties"].update(channel={"type": "string"}),
                s["required"].append("channel"),
            ),
            (Rule.REQUIRED_ADDED, "channel"),
            id="new required field",
        ),
        pytest.param(
            lambda s: s["required"].append("quantity"),
            (Rule.REQUIRED_ADDED, "quantity"),
            id="optional field became required",
        ),
        pytest.param(
            lambda s: s["properties"].update(order_id={"type": "integer"}),
            (Rule.TYPE_CHANGED, "order_id"),
            id="type changed",
        ),
        pytest.param(
            lambda s: s["properties"]["quantity"].update(type="string"),
            (Rule.TYPE_CHANGED, "quantity"),
            id="integer to string",
        ),
        pytest.param(
            lambda s: s["properties"].update(note={"type": "string"}),
            (Rule.VARIANT_REMOVED, "note"),
            id="null no longer allowed",
        ),
        pytest.param(
            lambda s: s["properties"]["party"].update(oneOf=[{"$ref": "#/$defs/Person"}]),
            (Rule.VARIANT_REMOVED, "party"),
            id="union branch removed",
        ),
        pytest.param(
            lambda s: s["properties"]["order_id"].update(maxLength=32),
            (Rule.CONSTRAINT_NARROWED, "order_id"),
            id="max length lowered",
        ),
        pytest.param(
            lambda s: s["properties"]["quantity"].update(minimum=2),
            (Rule.CONSTRAINT_NARROWED, "quantity"),
            id="minimum raised",
        ),
        pytest.param(
            lambda s: s["properties"]["lines"].update(maxItems=5),
            (Rule.CONSTRAINT_NARROWED, "lines"),
            id="max items lowered",
        ),
        pytest.param(
            lambda s: s["$defs"]["Line"]["properties"]["sku"].update(pattern="^[A-Z]+$"),
            (Rule.CONSTRAINT_NARROWED, "lines[].sku"),
            id="pattern changed",
        ),
        pytest.param(
            lambda s: s["properties"]["order_id"].update(format="uuid"),
            (Rule.CONSTRAINT_NARROWED, "order_id"),
            id="format added",
        ),
        pytest.param(
            lambda s: s["$defs"]["Status"].update(enum=["open"]),
            (Rule.ENUM_VALUE_REMOVED, "status"),
            id="enum value removed",
        ),
        pytest.param(
            lambda s: s["$defs"]["Person"]["properties"]["kind"].update(const="human"),
            (Rule.ENUM_VALUE_REMOVED, "party.kind"),
            id="const changed",
        ),
        pytest.param(
            lambda s: s["properties"]["totals"]["patternProperties"]["^[A-Z]{3}$"].update(
                type="number"
            ),
            (Rule.TYPE_CHANGED, "totals{^[A-Z]{3}$}"),
            id="map value type changed",
        ),
    ],
)
def test_breaking_change_is_reported(edit: Edit, expected: tuple[Rule, str]) -> None:
    assert _rules_after(edit) == [expected]


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda s: s["properties"].update(channel={"type": "string"}), id="optional field"
        ),
        pytest.param(
            lambda s: s["$defs"]["Status"]["enum"].append("archived"), id="enum value added"
        ),
        pytest.param(
            lambda s: s["properties"]["order_id"].update(maxLength=128), id="max length raised"
        ),
        pytest.param(lambda s: s["properties"]["quantity"].pop("maximum"), id="maximum dropped"),
        pytest.param(lambda s: s["required"].remove("lines"), id="required became optional"),
        pytest.param(
            lambda s: s["properties"]["quantity"].update(type="number"), id="integer to number"
        ),
        pytest.param(
            lambda s: s["properties"].update(
                order_id={"anyOf": [{"type": "string", "maxLength": 64}, {"type": "null"}]}
            ),
            id="became nullable",
        ),
        pytest.param(
            lambda s: s["properties"]["party"]["oneOf"].append({"$ref": "#/$defs/Status"}),
            id="union branch added",
        ),
        pytest.param(
            lambda s: s["properties"]["lines"]["items"].update(description="A line."),
            id="documentation only",
        ),
    ],
)
def test_compatible_change_is_not_reported(edit: Edit) -> None:
    assert _rules_after(edit) == []


def test_recursive_schemas_terminate() -> None:
    tree: dict[str, Any] = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {
                "title": "Node",
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    assert breaking_changes(tree, copy.deepcopy(tree)) == []


def test_baseline_check_allows_a_breaking_change_under_a_new_major_version() -> None:
    narrowed = copy.deepcopy(BASE)
    narrowed["properties"].pop("note")
    published = {"com.nceflow.checkout.OrderThing.v1": BASE}
    assert check_against_baseline(published, {"com.nceflow.checkout.OrderThing.v2": narrowed}) == []
    same_major = check_against_baseline(published, {"com.nceflow.checkout.OrderThing.v1": narrowed})
    assert [change.rule for change in same_major] == [Rule.FIELD_REMOVED]
    assert "com.nceflow.checkout.OrderThing.v1 at note" in str(same_major[0])


def test_baseline_check_reports_a_published_type_that_disappeared() -> None:
    changes = check_against_baseline({"com.nceflow.checkout.OrderThing.v2": BASE}, {})
    assert [change.rule for change in changes] == [Rule.EVENT_REMOVED]
    older = {"com.nceflow.checkout.OrderThing.v1": BASE}
    assert check_against_baseline(older, {"com.nceflow.checkout.OrderThing.v1": BASE}) == []


def test_real_models_are_compatible_with_themselves() -> None:
    for model in EVENT_CLASSES.values():
        schema = model.model_json_schema()
        assert breaking_changes(schema, schema, event_type=model.event_type()) == []
