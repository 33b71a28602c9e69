"""`nceflow-catalog` (also `nceflow catalog`): the operator's catalogue commands.

Imports are inside the commands: `nceflow --help` loads every package's command group.
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="The NCE catalogue.")


@app.callback()
def catalog() -> None:
    """The NCE catalogue (a group even with one command, so `nceflow catalog sync` reads so)."""


@app.command("sync")
def sync() -> None:
    """Read the catalogue from Partner Center, merge the price list, swap it in atomically."""
    from nceflow.catalog.sync import sync_from_environment

    typer.echo(sync_from_environment().summary())


def main() -> None:
    """Entry point of the `nceflow-catalog` script."""
    app()
