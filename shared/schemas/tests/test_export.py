"""The committed JSON Schemas and AsyncAPI document match the models and keep compatibility."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nceflow.schemas.compat import Rule
from nceflow.schemas.events import EVENT_CLASSES
from nceflow.schemas.export import (
    ExportError,
    asyncapi_document,
    compatibility_problems,
    publish,
    render_all,
    write_all,
)
from nceflow.schemas.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "the committed schemas are out of date: run `make schemas` and commit the result"


def test_committed_files_equal_the_models() -> None:
    rendered = render_all()
    committed = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in [*(ROOT / "jsonschema").glob("*.json"), ROOT / "asyncapi.json"]
        if path.exists()
    }
    stale = sorted(set(committed) - set(rendered))
    missing = sorted(set(rendered) - set(committed))
    differing = sorted(p for p in set(rendered) & set(committed) if rendered[p] != committed[p])
    assert (missing, stale, differing) == ([], [], []), REGENERATE


def test_models_are_compatible_with_the_published_baseline() -> None:
    problems = compatibility_problems(ROOT)
    assert not problems, (
        "breaking change to a published event; keep it compatible or raise the major version "
        "(event_version = 2):\n" + "\n".join(f"  {problem}" for problem in problems)
    )


def test_every_event_type_has_a_published_baseline() -> None:
    published = {path.stem for path in (ROOT / "jsonschema" / "published").glob("*.json")}
    assert set(EVENT_CLASSES) <= published, "publish new event types: nceflow schemas publish"


def test_write_all_writes_one_schema_per_type_and_removes_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "jsonschema").mkdir()
    (tmp_path / "jsonschema" / "com.nceflow.checkout.Gone.v1.json").write_text("{}")
    written = write_all(tmp_path)
    names = sorted(path.name for path in (tmp_path / "jsonschema").glob("*.json"))
    assert names == sorted(f"{event_type}.json" for event_type in EVENT_CLASSES)
    assert tmp_path / "asyncapi.json" in written
    schema = json.loads((tmp_path / "jsonschema" / f"{next(iter(EVENT_CLASSES))}.json").read_text())
    assert schema["$id"].startswith("urn:nceflow:schema:com.nceflow.")


def test_publish_refuses_a_breaking_change(tmp_path: Path) -> None:
    publish(tmp_path)
    baseline = tmp_path / "jsonschema" / "published" / "com.nceflow.checkout.OrderConfirmed.v1.json"
    schema = json.loads(baseline.read_text())
    schema["properties"]["gift_wrap"] = {"type": "boolean"}  # pretend v1 once had this field
    baseline.write_text(json.dumps(schema))
    problems = compatibility_problems(tmp_path)
    assert [(p.rule, p.path) for p in problems] == [(Rule.FIELD_REMOVED, "gift_wrap")]
    with pytest.raises(ExportError, match="gift_wrap"):
        publish(tmp_path)


def test_asyncapi_describes_every_topic_and_message() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    assert sorted(channel["address"] for channel in document["channels"].values()) == sorted(
        ALL_TOPICS
    )
    message_types = {
        message["name"]
        for name, message in document["components"]["messages"].items()
        if name != "DeadLetter"
    }
    assert message_types == set(EVENT_CLASSES)
    refs = json.dumps(document)
    for name in document["components"]["schemas"]:
        assert f'"#/components/schemas/{name}"' in refs or name in {
            m.__name__ for m in EVENT_CLASSES.values()
        }
    assert '"#/$defs/' not in refs, "every reference must point into components"
    assert '"discriminator": {' not in refs, "AsyncAPI's discriminator is a string, not an object"
