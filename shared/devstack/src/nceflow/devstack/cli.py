"""The `nceflow` command line: the dev stack and operator commands of each service.

Commands import their service lazily so that `nceflow --help` stays fast and a command of one
service does not need the others configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nceflow.devstack.stack import DevStackSettings, run_dev_stack

app = typer.Typer(no_args_is_help=True, help="nceflow: self-service Microsoft NCE ordering.")
dev_app = typer.Typer(no_args_is_help=True, help="The local dev stack.")
schemas_app = typer.Typer(no_args_is_help=True, help="The event contract.")
app.add_typer(dev_app, name="dev")
app.add_typer(schemas_app, name="schemas")


@dev_app.command("up")
def dev_up(
    services: Annotated[
        bool, typer.Option("--services/--no-services", help="Also start the nceflow services.")
    ] = True,
) -> None:
    """Start broker, Redis and the services on 127.0.0.1 until Ctrl-C; then stop them all."""
    code = run_dev_stack(DevStackSettings(), services, lambda line: typer.echo(line, err=False))
    raise typer.Exit(code)


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[
        Path | None,
        typer.Option(help="Package root to write jsonschema/ and asyncapi.json under."),
    ] = None,
) -> None:
    """Write the JSON Schema of every event and the AsyncAPI document."""
    from nceflow.schemas.export import write_all

    for path in write_all(directory):
        typer.echo(str(path))


@schemas_app.command("publish")
def schemas_publish() -> None:
    """Record the current schemas as the published baseline; refuses a breaking change."""
    from nceflow.schemas.export import ExportError, publish

    try:
        written = publish()
    except ExportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    for path in written:
        typer.echo(str(path))


def main() -> None:
    """Entry point of the `nceflow` script."""
    app()


if __name__ == "__main__":
    main()
