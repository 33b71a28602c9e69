"""`nceflow-checkout` (also `nceflow checkout`): dev tokens and the reseller directory.

Imports are inside the commands: `nceflow --help` loads every package's command group.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from nceflow.runtime.environment import ENV_VARIABLE, Environment

app = typer.Typer(no_args_is_help=True, help="The purchase wizard.")


@app.command("dev-token")
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
    """Print a dev bearer token, signed with the public dev key: only a checkout in dev mode
    accepts it (as the platform's token stand-in for curl and scripts)."""
    os.environ[ENV_VARIABLE] = Environment.DEV.value
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


@app.command("resellers")
def resellers() -> None:
    """Print the reseller directory checkout reads (`NCEFLOW_CHECKOUT_RESELLERS_FILE`, else the
    dev directory), as JSON, secrets masked."""
    from nceflow.checkout.resellers import load_directory
    from nceflow.checkout.settings import Settings

    typer.echo(load_directory(Settings().resellers_file).dump_json())


def main() -> None:
    """Entry point of the `nceflow-checkout` script."""
    app()
