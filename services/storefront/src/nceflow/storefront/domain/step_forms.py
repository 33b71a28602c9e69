"""Between checkout's form descriptions and HTML forms: input names, submitted values, errors.

Nothing here knows a step: the JSON body is built from the field types the description gives,
and checkout alone decides whether the values are acceptable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nceflow.storefront.adapters.checkout_client import FormField
from nceflow.storefront.api.errors import FieldError
from nceflow.storefront.domain.messages import message_for

# A list field's entries are posted as `<list>-<index>-<item field>`, e.g. `items-0-quantity`.
_ITEM_NAME = re.compile(r"^(?P<list>[A-Za-z_][A-Za-z0-9_]*)-(?P<index>\d{1,3})-(?P<field>\w+)$")
# Checkout names a list entry's field `items[0].quantity` (or `items.0.quantity`).
_ERROR_PATH = re.compile(
    r"^(?:body\.)?(?P<name>[A-Za-z_]\w*)(?:[\[.](?P<index>\d+)\]?\.?(?P<item>\w+)?)?"
)

Submitted = Mapping[str, Sequence[str]]


def item_input_name(list_name: str, index: int, item: str) -> str:
    """The HTML name of one entry's field of a list field."""
    return f"{list_name}-{index}-{item}"


def _first(submitted: Submitted, name: str) -> str | None:
    values = submitted.get(name)
    return values[0] if values else None


def _scalar(form_field: FormField, raw: str | None) -> Any:
    """The JSON value of one submitted input, typed as the description says."""
    if form_field.type == "boolean":
        # An unticked checkbox is not posted at all.
        return raw is not None and raw not in ("", "false", "off", "no")
    if raw is None:
        return None
    text = raw.strip()
    if form_field.type == "integer":
        try:
            return int(text)
        except ValueError:
            return text  # checkout names the field in its answer
    if form_field.type == "country":
        return text.upper()
    return text


def body_of(fields: Sequence[FormField], submitted: Submitted) -> dict[str, Any]:
    """The JSON body of a step from the posted form, field by field as described."""
    body: dict[str, Any] = {}
    for form_field in fields:
        if form_field.type == "list" and form_field.item_fields:
            body[form_field.name] = _list_value(form_field, submitted)
            continue
        value = _scalar(form_field, _first(submitted, form_field.name))
        # An optional field left empty is left out, so checkout applies its own default.
        if value is None or (value == "" and not form_field.required):
            continue
        body[form_field.name] = value
    return body


def _list_value(form_field: FormField, submitted: Submitted) -> list[dict[str, Any]]:
    entries: dict[int, dict[str, Any]] = {}
    item_fields = {f.name: f for f in form_field.item_fields or []}
    for name, values in submitted.items():
        match = _ITEM_NAME.match(name)
        if match is None or match["list"] != form_field.name or match["field"] not in item_fields:
            continue
        entries.setdefault(int(match["index"]), {})[match["field"]] = _scalar(
            item_fields[match["field"]], values[0] if values else None
        )
    return [entries[index] for index in sorted(entries)]


@dataclass
class FieldErrors:
    """Checkout's field errors, placed next to the inputs they name."""

    by_input: dict[str, list[str]] = field(default_factory=dict)
    unplaced: list[str] = field(default_factory=list)

    def of(self, input_name: str) -> list[str]:
        """The reasons to show next to the input called `input_name`."""
        return self.by_input.get(input_name, [])

    @property
    def any(self) -> bool:
        """Whether there is anything to show."""
        return bool(self.by_input or self.unplaced)

    def summary(self) -> list[tuple[str | None, str]]:
        """(input name or None, reason) pairs, for the error summary at the top of the form."""
        placed = [(name, reason) for name, reasons in self.by_input.items() for reason in reasons]
        return placed + [(None, reason) for reason in self.unplaced]


def place_errors(fields: Sequence[FormField], errors: Sequence[FieldError]) -> FieldErrors:
    """Attach each error, in the storefront's words (`messages`), to the input it names; the
    rest are shown in the summary only."""
    names = {f.name: f for f in fields}
    placed = FieldErrors()
    for error in errors:
        match = _ERROR_PATH.match(error.field)
        target: str | None = None
        described: FormField | None = None
        if match is not None and match["name"] in names:
            target = match["name"]
            described = names[target]
            if match["index"] is not None and match["item"]:
                target = item_input_name(match["name"], int(match["index"]), match["item"])
                items = {f.name: f for f in described.item_fields or []}
                described = items.get(match["item"], described)
        text = message_for(error.field, error.code, described)
        if target is None:
            placed.unplaced.append(text)
        elif text not in placed.by_input.get(target, []):
            placed.by_input.setdefault(target, []).append(text)
    return placed
