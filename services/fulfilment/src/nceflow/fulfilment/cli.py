"""`nceflow-fulfilment` (also `nceflow fulfilment`): the operator's commands for orders.

Imports are inside the commands: `nceflow --help` loads every package's command group.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Placing orders in Partner Center.")


@app.command("status")
def status(order_id: Annotated[str, typer.Argument(help="The order id.")]) -> None:
    """Show the progress of one order's saga."""
    from nceflow.fulfilment.ops import status_sync

    view = status_sync(order_id)
    if view is None:
        typer.echo(f"error: fulfilment has no saga for order {order_id}", err=True)
        raise typer.Exit(1)
    typer.echo(view.model_dump_json(indent=2))


@app.command("replay")
def replay(
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


def main() -> None:
    """Entry point of the `nceflow-fulfilment` script."""
    app()
