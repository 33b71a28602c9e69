"""Removing the personal data an event carries, once it is no longer needed.

Every field of personal data is marked in the contract (`x-pii`: names, e-mail addresses, phone
numbers, user references). `without_personal_data` returns a copy of an event with each of them
replaced by a placeholder that still satisfies the field's own rules, so the copy stays a valid
event (a finished saga keeps its order for deduplication, not its contacts).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)

REDACTED_EMAIL = "redacted@redacted.example"
REDACTED_PHONE = "+0000"
REDACTED_TEXT = "redacted"


def without_personal_data(model: ModelT) -> ModelT:
    """A validated copy of `model` with every `x-pii` field (at any depth) replaced."""
    return type(model).model_validate(_scrub(model, model.model_dump(mode="json", by_alias=True)))


def _scrub(model: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        value = getattr(model, name)
        if key not in data or value is None:
            continue
        if _is_personal(field.json_schema_extra, field.metadata):
            data[key] = _placeholder(field.metadata)
        elif isinstance(value, BaseModel):
            data[key] = _scrub(value, data[key])
        elif isinstance(value, list | tuple):
            data[key] = [
                _scrub(item, raw) if isinstance(item, BaseModel) else raw
                for item, raw in zip(value, data[key], strict=True)
            ]
    return data


def _is_personal(extra: Any, metadata: list[Any]) -> bool:
    if isinstance(extra, dict) and extra.get("x-pii"):
        return True
    return any(
        isinstance(getattr(m, "json_schema_extra", None), dict) and m.json_schema_extra.get("x-pii")
        for m in metadata
    )


def _placeholder(metadata: list[Any]) -> str:
    pattern = next((str(m.pattern) for m in metadata if getattr(m, "pattern", None)), "")
    if "@" in pattern:
        return REDACTED_EMAIL
    if pattern.startswith(r"^\+?[0-9]"):
        return REDACTED_PHONE
    return REDACTED_TEXT
