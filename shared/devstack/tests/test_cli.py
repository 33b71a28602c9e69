"""`nceflow`: the dev commands, and each installed package's own command group."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from nceflow.devstack.cli import add_package_commands


def test_every_package_brings_its_own_command_group() -> None:
    root = typer.Typer()
    root.command("noop")(lambda: None)  # a root needs a command of its own to be a group

    assert add_package_commands(root) == ["catalog", "checkout", "fulfilment", "schemas"]
    shown = CliRunner().invoke(root, ["fulfilment", "--help"])
    assert shown.exit_code == 0, shown.output
    assert "replay" in shown.output
    assert "status" in shown.output
