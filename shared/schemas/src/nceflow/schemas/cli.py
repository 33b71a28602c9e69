"""`nceflow-schemas` (also `nceflow schemas`): the event contract's files.

Imports are inside the commands: `nceflow --help` loads every package's command group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="The event contract.")


@app.command("export")
def export(
    directory: Annotated[
        Path | None,
        typer.Option(help="Package root to write jsonschema/ and asyncapi.json under."),
    ] = None,
) -> None:
    """Write the JSON Schema of every event and the AsyncAPI document."""
    from nceflow.schemas.export import write_all

    for path in write_all(directory):
        typer.echo(str(path))


@app.command("publish")
def publish() -> None:
    """Record the current schemas as the published baseline; refuses a breaking change."""
    from nceflow.schemas.export import ExportError
    from nceflow.schemas.export import publish as publish_schemas

    try:
        written = publish_schemas()
    except ExportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(str(path))


def main() -> None:
    """Entry point of the `nceflow-schemas` script."""
    app()
