"""The `nceflow` command line: the dev stack and operator commands of each service.

Commands import their service lazily so that `nceflow --help` stays fast and a command of one
service does not need the others configured.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path
from typing import Annotated

import typer

from nceflow.devstack.stack import DevStackSettings, run_dev_stack
from nceflow.runtime.environment import ENV_VARIABLE, Environment

app = typer.Typer(no_args_is_help=True, help="nceflow: self-service Microsoft NCE ordering.")
dev_app = typer.Typer(no_args_is_help=True, help="The local dev stack.")
schemas_app = typer.Typer(no_args_is_help=True, help="The event contract.")
catalog_app = typer.Typer(no_args_is_help=True, help="The NCE catalogue.")
fulfilment_app = typer.Typer(no_args_is_help=True, help="Placing orders in Partner Center.")
app.add_typer(dev_app, name="dev")
app.add_typer(schemas_app, name="schemas")
app.add_typer(catalog_app, name="catalog")
app.add_typer(fulfilment_app, name="fulfilment")


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


@dev_app.command("token")
def dev_token(
    account: Annotated[str, typer.Option(help="Marketplace account id (the token's sub).")],
    reseller: Annotated[str, typer.Option(help="Reseller id from the reseller directory.")],
    tenant_id: Annotated[
        str | None,
        typer.Option(
            help="The account's Microsoft tenant id, as a platform that binds accounts itself "
            "says it (the ms_tenant_id claim): no Microsoft sign-in is then asked."
        ),
    ] = None,
) -> None:
    """Print a dev bearer token for checkout, signed with the local dev key."""
    from nceflow.checkout.auth import mint_dev_token
    from nceflow.checkout.resellers import load_directory
    from nceflow.checkout.settings import Settings

    settings = Settings()
    directory = load_directory(settings.resellers_file)
    if directory.get(reseller) is None:
        known = ", ".join(r.id for r in directory.resellers)
        typer.echo(f"error: unknown reseller {reseller!r}; the directory has: {known}", err=True)
        raise typer.Exit(1)
    try:
        typer.echo(mint_dev_token(account, reseller, settings, tenant_id=tenant_id))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@dev_app.command("resellers")
def dev_resellers() -> None:
    """Print the reseller directory checkout uses, as JSON (secrets masked)."""
    from nceflow.checkout.resellers import load_directory
    from nceflow.checkout.settings import Settings

    typer.echo(load_directory(Settings().resellers_file).dump_json())


@catalog_app.command("sync")
def catalog_sync() -> None:
    """Read the catalogue from Partner Center, merge the price list, swap it in atomically."""
    from nceflow.catalog.sync import sync_from_environment

    typer.echo(sync_from_environment().summary())


@fulfilment_app.command("status")
def fulfilment_status(order_id: Annotated[str, typer.Argument(help="The order id.")]) -> None:
    """Show the progress of one order's saga."""
    from nceflow.fulfilment.ops import status_sync

    view = status_sync(order_id)
    if view is None:
        typer.echo(f"error: fulfilment has no saga for order {order_id}", err=True)
        raise typer.Exit(1)
    typer.echo(view.model_dump_json(indent=2))


@fulfilment_app.command("replay")
def fulfilment_replay(
    order_id: Annotated[
        str | None, typer.Option("--order", help="Re-drive this order instead of dead letters.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many dead letters.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be re-driven; send nothing.")
    ] = False,
) -> None:
    """Re-drive dead letters (default) or one stopped order. Dead letters go back only to the
    topics fulfilment reads, whatever topic they name."""
    from aiokafka.errors import KafkaError

    from nceflow.fulfilment.ops import replay_sync

    try:
        report = replay_sync(order_id=order_id, limit=limit, dry_run=dry_run)
    except KafkaError as exc:
        typer.echo(
            f"error: Kafka refused the replay ({type(exc).__name__}: {exc}). A broker without the "
            "idempotent producer (the dev stack's) needs NCEFLOW_KAFKA_ENABLE_IDEMPOTENCE=false; "
            'for the dev stack run: eval "$(nceflow dev env)"',
            err=True,
        )
        raise typer.Exit(1) from None
    typer.echo(json.dumps(dataclasses.asdict(report), indent=2, default=str))


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
