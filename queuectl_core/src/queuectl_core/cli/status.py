"""``queuectl status``: job counts per state and queue, workers, backend."""

from __future__ import annotations

from typing import Any

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.job import State
from queuectl_core.overview import is_live

__all__ = ["is_live", "status"]

ALL_QUEUES = "(all)"


@click.command()
@json_option
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Job counts per state and queue, paused queues, success rate, workers, backend."""
    from queuectl_core.overview import overview

    view = overview(app.queue(create=False))
    if as_json:
        render.emit_json(view)
        return
    live = view["live_workers"]
    stale = len(view["workers"]) - live
    rate = view["success_rate"]
    click.echo(
        render.fields(
            [
                ("backend", f"{view['backend']} ({view['location']})"),
                ("workers", f"{live} live" + (f", {stale} stale" if stale else "")),
                ("jobs", view["total"]),
                ("success", "-" if rate is None else f"{rate:.1%} of finished jobs"),
                *(("paused", _paused(paused)) for paused in view["paused_queues"]),
            ]
        )
    )
    for warning in view["warnings"]:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    click.echo()
    states = [state.value for state in State]
    rows: list[list[Any]] = [
        [name, *(counts[state] for state in states), sum(counts.values())]
        for name, counts in view["queues"].items()
    ]
    rows.append([ALL_QUEUES, *(view["states"][state] for state in states), view["total"]])
    click.echo(render.table(("queue", *states, "total"), rows))


def _paused(paused: dict[str, Any]) -> str:
    """``queue Q (reason) since T``."""
    because = f" ({paused['reason']})" if paused["reason"] else ""
    return f"queue {paused['name']}{because} since {paused['paused_at']}"
