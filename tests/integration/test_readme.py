"""The top README shows what a new user types, and its example is the tested one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_subscriber_example_is_the_one_the_schemas_tests_run() -> None:
    tested = _python_blocks((ROOT / "shared" / "schemas" / "README.md").read_text())
    shown = _python_blocks((ROOT / "README.md").read_text())
    assert shown
    assert shown[0] in tested


def test_readme_shows_the_two_commands_and_ci_runs_exactly_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^make dev\b", readme, re.M)
    assert re.search(r"^make test\b", readme, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "exec make test" in ci
