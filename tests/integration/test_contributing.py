"""The newcomer's guide names what exists: its commands, its hooks, the files of its recipe."""

from __future__ import annotations

import re
from pathlib import Path

from pre_commit.clientlib import load_config

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "CONTRIBUTING.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def test_every_make_target_the_guide_names_exists() -> None:
    named = set(re.findall(r"^make ([a-z-]+)", GUIDE, re.M))
    targets = set(re.findall(r"^([a-z-]+):", MAKEFILE, re.M))
    assert {"dev", "test", "test-unit", "lint"} <= named
    assert named <= targets


def test_the_pre_commit_hooks_are_valid_and_run_the_projects_own_tools() -> None:
    config = load_config(str(ROOT / ".pre-commit-config.yaml"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {hook["id"] for hook in hooks} == {"ruff", "ruff-format", "mypy"}
    assert all(repo["repo"] == "local" for repo in config["repos"])  # nothing fetched
    assert all(".venv/bin/" in hook["entry"] for hook in hooks)


def test_the_recipes_existing_files_are_where_it_says() -> None:
    # The recipe's steps extend these modules (the subscriptions service is yet to come).
    for path in [
        "shared/schemas/src/nceflow/schemas/events.py",
        "shared/schemas/src/nceflow/schemas/topics.py",
        "shared/partner-center/src/nceflow/partner_center/client.py",
        "shared/partner-center/src/nceflow/partner_center/models.py",
        "shared/partner-center/src/nceflow/partner_center/errors.py",
        "services/partner-center-sim/src/nceflow/partner_center_sim/api/routes",
        "services/partner-center-sim/src/nceflow/partner_center_sim/domain",
        "services/partner-center-sim/README.md",
        "services/storefront/src/nceflow/storefront/api/routes",
        "services/storefront/src/nceflow/storefront/adapters",
        "services/checkout/src/nceflow/checkout/repository.py",
        "services/checkout/tests/fakes.py",
        "services/fulfilment/src/nceflow/fulfilment/repository.py",
        "services/fulfilment/tests/fakes.py",
        "shared/devstack/src/nceflow/devstack/stack.py",
        "shared/devstack/README.md",
    ]:
        assert (ROOT / path).exists(), path
        assert path.split("/src/")[0] in GUIDE or Path(path).name in GUIDE, path
