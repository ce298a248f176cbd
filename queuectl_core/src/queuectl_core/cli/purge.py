"""``queuectl purge``: delete finished jobs so the store does not grow forever.

Deleting every job of a state asks first: on a terminal it names the count and
waits for a yes; elsewhere (a script, a cron job) it needs ``--yes``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, parse_duration, pass_app
from queuectl_core.errors import QueuectlError
from queuectl_core.job import FINAL_STATES, State
from queuectl_core.queue import Queue
from queuectl_core.units import human_duration

F = TypeVar("F", bound=Callable[..., Any])


def yes_option(command: F) -> F:
    """``-y``/``--yes``: delete without asking."""
    return click.option(
        "-y", "--yes", is_flag=True, help="Do not ask for confirmation (needed off a terminal)."
    )(command)


def confirm_purge(queue: Queue, states: tuple[State, ...], older_than: float | None) -> None:
    """Ask before deleting every job in ``states``; raise unless the person agrees.

    Off a terminal there is no one to ask: a one-line error says to pass ``--yes``.
    """
    counts = queue.counts()
    total = sum(n for (_, state), n in counts.items() if state in states)
    if total == 0:
        return
    names = " or ".join(state.value for state in states)
    what = render.plural(total, f"{names} job")
    if older_than is not None:
        what = f"the {names} jobs last changed over {human_duration(older_than)} ago (of {what})"
    if not sys.stdin.isatty():
        raise QueuectlError(
            f"not deleting {what} unconfirmed: stdin is not a terminal, so pass --yes"
        )
    if not click.confirm(f"Delete {what} and their history?", err=True):
        raise QueuectlError("nothing purged")


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
@yes_option
@json_option
@pass_app
def purge(
    app: AppContext, states: tuple[str, ...], older_than: float | None, yes: bool, as_json: bool
) -> None:
    """Delete completed, dead or cancelled jobs and their history.

    Asks first on a terminal; elsewhere pass --yes.

    \b
    queuectl purge --state completed --older-than 7d
    queuectl purge --state completed --state cancelled --yes
    """
    queue = app.queue(create=False)
    chosen = tuple(dict.fromkeys(State(state) for state in states))
    if not yes:
        confirm_purge(queue, chosen, older_than)
    purged = queue.purge(list(chosen), older_than)
    if as_json:
        render.emit_json({"purged": purged})
    else:
        click.echo(f"purged {render.plural(purged, 'job')}")
