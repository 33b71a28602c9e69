"""Backward-compatibility rules between a published JSON Schema and its successor.

Pure functions over JSON Schema documents (dicts), no I/O. A change is breaking when a
subscriber could be hurt by it without a new major version:
- a field is removed (readers that use it break);
- a new field is required, or an optional one becomes required (old events no longer validate);
- a type changes or narrows (a value once valid no longer is), including a union losing a branch,
  `null` no longer allowed, and tighter constraints: length, range, item count, a new or changed
  `pattern`/`format`/`const`;
- an enum value is removed (old events carrying it no longer validate).
Adding an optional field, an enum value, or a branch to a union, and loosening a constraint, are
compatible. Raising the major version (`….v2`) publishes a new event type with its own baseline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

Schema = Mapping[str, Any]


class Rule(StrEnum):
    """Which compatibility rule a change breaks."""

    FIELD_REMOVED = "field_removed"
    REQUIRED_ADDED = "required_added"
    TYPE_CHANGED = "type_changed"
    CONSTRAINT_NARROWED = "constraint_narrowed"
    ENUM_VALUE_REMOVED = "enum_value_removed"
    VARIANT_REMOVED = "variant_removed"
    EVENT_REMOVED = "event_removed"


@dataclass(frozen=True, slots=True)
class Change:
    """One breaking change: where (a dotted path inside the event's data) and what."""

    event_type: str
    path: str
    rule: Rule
    detail: str

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.event_type}{where}: {self.detail} [{self.rule}]"


_UPPER_BOUNDS: Final = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER_BOUNDS: Final = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_EXACT: Final = ("pattern", "format", "multipleOf")
_TYPE_SUFFIX: Final = re.compile(r"^(?P<base>.+)\.v(?P<major>[0-9]+)$")


def check_against_baseline(
    published: Mapping[str, Schema], current: Mapping[str, Schema]
) -> list[Change]:
    """Breaking changes of the current schemas against the published ones, by event type.

    A published type with no current schema is fine only when a higher major version of the
    same event exists (the old version was retired on purpose).
    """
    changes: list[Change] = []
    for event_type, old in sorted(published.items()):
        new = current.get(event_type)
        if new is not None:
            changes.extend(breaking_changes(old, new, event_type=event_type))
        elif not _superseded(event_type, current):
            changes.append(
                Change(
                    event_type,
                    "",
                    Rule.EVENT_REMOVED,
                    "published event type is gone and no higher major version replaces it",
                )
            )
    return changes


def breaking_changes(old: Schema, new: Schema, *, event_type: str = "") -> list[Change]:
    """Breaking changes from `old` to `new`, two self-contained schemas (local `$ref`s only)."""
    comparison = _Comparison(old, new, event_type)
    comparison.compare(old, new, "")
    return comparison.changes


def _superseded(event_type: str, current: Iterable[str]) -> bool:
    match = _TYPE_SUFFIX.match(event_type)
    if match is None:
        return False
    for other in current:
        found = _TYPE_SUFFIX.match(other)
        if (
            found is not None
            and found["base"] == match["base"]
            and int(found["major"]) > int(match["major"])
        ):
            return True
    return False


class _Comparison:
    """Walks two schemas side by side, collecting changes."""

    def __init__(self, old_root: Schema, new_root: Schema, event_type: str) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.event_type = event_type
        self.changes: list[Change] = []
        self._seen: set[tuple[str, str]] = set()

    def report(self, path: str, rule: Rule, detail: str) -> None:
        self.changes.append(Change(self.event_type, path, rule, detail))

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        refs = (str(old.get("$ref", "")), str(new.get("$ref", "")))
        if refs[0] and refs[1]:
            # Compare each pair of definitions once: ends recursion, and a definition used in
            # several places reports its changes once, at the first path that reaches it.
            if refs in self._seen:
                return
            self._seen.add(refs)
        old, new = _resolve(self.old_root, old), _resolve(self.new_root, new)
        old_variants, new_variants = _variants(old), _variants(new)
        if len(old_variants) == 1 and len(new_variants) == 1:
            self._compare_plain(old, new, path)
            return
        by_key = {_variant_key(self.new_root, variant): variant for variant in new_variants}
        for variant in old_variants:
            key = _variant_key(self.old_root, variant)
            match = by_key.get(key)
            if match is None:
                what = "null is no longer allowed" if key == ("type", "null") else "removed"
                self.report(path, Rule.VARIANT_REMOVED, f"union branch {key[1]!r} {what}")
            else:
                self.compare(variant, match, path)

    def _compare_plain(self, old: Schema, new: Schema, path: str) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types and new_types:
            lost = old_types - new_types
            if "integer" in lost and "number" in new_types:
                lost.discard("integer")  # every integer is a number: a widening
            if lost:
                self.report(
                    path,
                    Rule.TYPE_CHANGED,
                    f"type {sorted(old_types)} became {sorted(new_types)}",
                )
                return
        elif new_types and not old_types:
            self.report(path, Rule.TYPE_CHANGED, f"now restricted to type {sorted(new_types)}")
            return
        self._compare_values(old, new, path)
        self._compare_bounds(old, new, path)
        self._compare_object(old, new, path)
        if isinstance(old.get("items"), Mapping) and isinstance(new.get("items"), Mapping):
            self.compare(old["items"], new["items"], f"{path}[]")
        old_patterns: Mapping[str, Any] = old.get("patternProperties", {})
        new_patterns: Mapping[str, Any] = new.get("patternProperties", {})
        for pattern, old_values in old_patterns.items():
            if pattern in new_patterns:
                self.compare(old_values, new_patterns[pattern], f"{path}{{{pattern}}}")
            else:
                self.report(path, Rule.CONSTRAINT_NARROWED, f"keys matching {pattern!r} removed")
        for key in ("additionalProperties", "propertyNames"):
            if isinstance(old.get(key), Mapping) and isinstance(new.get(key), Mapping):
                self.compare(old[key], new[key], f"{path}{{{key}}}")
            elif old.get(key, True) is not False and new.get(key) is False:
                self.report(path, Rule.CONSTRAINT_NARROWED, f"{key} no longer allowed")

    def _compare_values(self, old: Schema, new: Schema, path: str) -> None:
        old_values = _allowed_values(old)
        new_values = _allowed_values(new)
        if new_values is None:
            return
        if old_values is None:
            self.report(path, Rule.CONSTRAINT_NARROWED, f"now limited to {new_values}")
            return
        removed = [value for value in old_values if value not in new_values]
        if removed:
            self.report(path, Rule.ENUM_VALUE_REMOVED, f"value(s) {removed} no longer allowed")

    def _compare_bounds(self, old: Schema, new: Schema, path: str) -> None:
        for key in _UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                self.report(path, Rule.CONSTRAINT_NARROWED, f"{key} lowered to {new[key]}")
        for key in _LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                self.report(path, Rule.CONSTRAINT_NARROWED, f"{key} raised to {new[key]}")
        for key in _EXACT:
            if key in new and old.get(key) != new[key]:
                self.report(
                    path,
                    Rule.CONSTRAINT_NARROWED,
                    f"{key} changed from {old.get(key)!r} to {new[key]!r}",
                )

    def _compare_object(self, old: Schema, new: Schema, path: str) -> None:
        old_properties: Mapping[str, Any] = old.get("properties", {})
        new_properties: Mapping[str, Any] = new.get("properties", {})
        for name, old_property in old_properties.items():
            where = f"{path}.{name}" if path else name
            if name not in new_properties:
                self.report(where, Rule.FIELD_REMOVED, f"field {name!r} removed")
            else:
                self.compare(old_property, new_properties[name], where)
        old_required = set(old.get("required", ()))
        for name in new.get("required", ()):
            if name in old_required:
                continue
            where = f"{path}.{name}" if path else name
            detail = (
                f"optional field {name!r} became required"
                if name in old_properties
                else f"new required field {name!r}"
            )
            self.report(where, Rule.REQUIRED_ADDED, detail)


def _resolve(root: Schema, node: Schema) -> Schema:
    """Follow local `$ref`s (`#/...`), keeping sibling keywords such as a description."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"cannot resolve $ref {ref!r}: only local, acyclic references")
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**target, **siblings}
    return node


def _variants(node: Schema) -> list[Schema]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return list(node[key])
    return [node]


def _variant_key(root: Schema, variant: Schema) -> tuple[str, str]:
    """How a union branch is recognised across versions: model title, else its type."""
    resolved = _resolve(root, variant)
    if "title" in resolved and ("properties" in resolved or "enum" in resolved):
        return ("title", str(resolved["title"]))
    return ("type", ",".join(sorted(_types(resolved))) or "any")


def _types(node: Schema) -> set[str]:
    declared = node.get("type")
    if declared is None:
        return set()
    return {declared} if isinstance(declared, str) else set(declared)


def _allowed_values(node: Schema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    if "enum" in node:
        return list(node["enum"])
    return None
