"""The `nceflow` command line: `nceflow dev …` here, and each package's own command group.

A package brings its commands in its `cli.py` (its own script, e.g. `nceflow-fulfilment`) and
registers the group under the `nceflow.commands` entry point; `nceflow <group> …` runs it, so
this package imports none of them. Commands import their service lazily so that `nceflow --help`
stays fast and a command of one service does not need the others configured.
"""

from __future__ import annotations

import os
import shlex
from importlib.metadata import entry_points
from typing import Annotated

import typer

from nceflow.devstack.stack import DevStackSettings, run_dev_stack
from nceflow.runtime.environment import ENV_VARIABLE, Environment

app = typer.Typer(no_args_is_help=True, help="nceflow: self-service Microsoft NCE ordering.")
dev_app = typer.Typer(no_args_is_help=True, help="The local dev stack.")
app.add_typer(dev_app, name="dev")

COMMAND_GROUPS = "nceflow.commands"
"""The entry point group under which a package registers its typer app as `nceflow <name>`."""


def add_package_commands(root: typer.Typer) -> list[str]:
    """Add every installed package's command group to `root`; the names added, sorted."""
    names = []
    for entry in sorted(entry_points(group=COMMAND_GROUPS), key=lambda e: e.name):
        root.add_typer(entry.load(), name=entry.name)
        names.append(entry.name)
    return names


@dev_app.callback()
def dev_mode() -> None:
    """Every `nceflow dev` command runs in dev mode: development defaults are allowed."""
    os.environ[ENV_VARIABLE] = Environment.DEV.value


@dev_app.command("up")
def dev_up(
    services: Annotated[
        bool, typer.Option("--services/--no-services", help="Also start the nceflow services.")
    ] = True,
) -> None:
    """Start broker, Redis and the services on 127.0.0.1 until Ctrl-C; then stop them all."""
    code = run_dev_stack(DevStackSettings(), services, lambda line: typer.echo(line, err=False))
    raise typer.Exit(code)


@dev_app.command("env")
def dev_env() -> None:
    """Print the dev stack's settings as shell exports, for the operator commands:
    `eval "$(nceflow dev env)"` then `nceflow fulfilment replay`, `nceflow catalog sync`..."""
    from nceflow.devstack.stack import service_environment

    for name, value in sorted(service_environment(DevStackSettings()).items()):
        typer.echo(f"export {name}={shlex.quote(value)}")


def main() -> None:
    """Entry point of the `nceflow` script."""
    add_package_commands(app)
    app()


if __name__ == "__main__":
    main()
