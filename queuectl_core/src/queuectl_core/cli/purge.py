"""``queuectl purge``: delete finished jobs so the store does not grow forever."""

from __future__ import annotations

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, parse_duration, pass_app
from queuectl_core.job import FINAL_STATES, State


@click.command()
@click.option(
    "--state",
    "states",
    multiple=True,
    required=True,
    type=click.Choice([state.value for state in FINAL_STATES]),
    help="Purge jobs in this state (repeatable).",
)
@click.option(
    "--older-than",
    metavar="DURATION",
    callback=parse_duration,
    help="Only jobs last changed longer ago than this, e.g. 7d or 12h.",
)
@json_option
@pass_app
def purge(
    app: AppContext, states: tuple[str, ...], older_than: float | None, as_json: bool
) -> None:
    """Delete completed, dead or cancelled jobs and their history.

    \b
    queuectl purge --state completed --older-than 7d
    queuectl purge --state completed --state cancelled
    """
    purged = app.queue().purge([State(state) for state in states], older_than)
    if as_json:
        render.emit_json({"purged": purged})
    else:
        click.echo(f"purged {render.plural(purged, 'job')}")
