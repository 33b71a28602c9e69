"""`without_personal_data` replaces every field the contract marks `x-pii`, at any depth, and
keeps a valid event with everything else unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from nceflow.schemas.examples import example_events
from nceflow.schemas.personal_data import without_personal_data


def _personal_values(model: BaseModel) -> list[str]:
    found: list[str] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra
        marked = isinstance(extra, dict) and bool(extra.get("x-pii"))
        if marked and isinstance(value, str):
            found.append(value)
        elif isinstance(value, BaseModel):
            found += _personal_values(value)
        elif isinstance(value, list | tuple):
            found += [
                v for item in value if isinstance(item, BaseModel) for v in _personal_values(item)
            ]
    return found


@pytest.mark.parametrize("event", example_events(), ids=lambda e: type(e).__name__)
def test_every_marked_field_is_replaced_and_the_event_stays_valid(event: BaseModel) -> None:
    scrubbed = without_personal_data(event)
    assert type(scrubbed) is type(event)
    text = scrubbed.model_dump_json()
    for value in _personal_values(event):
        assert value not in text, value

    def without(model: BaseModel) -> dict[str, Any]:
        data = model.model_dump(mode="json")
        for value in _personal_values(model):
            data = _drop(data, value)
        return data

    assert without(scrubbed) == without(event)


def _drop(data: Any, value: str) -> Any:
    """`data` with every occurrence of `value` (and of the placeholders) blanked."""
    if isinstance(data, dict):
        return {k: _drop(v, value) for k, v in data.items()}
    if isinstance(data, list):
        return [_drop(v, value) for v in data]
    placeholders = {value, "redacted", "redacted@redacted.example", "+0000"}
    return "" if data in placeholders else data


def test_examples_carry_personal_data_to_remove() -> None:
    assert any(_personal_values(event) for event in example_events())
