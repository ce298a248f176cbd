"""``queuectl init``: create the queue explicitly and say where it is."""

from __future__ import annotations

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app


@click.command()
@json_option
@pass_app
def init(app: AppContext, as_json: bool) -> None:
    """Create the queue where the configuration points (SQLite file, Redis namespace).

    Does nothing to a queue that exists. Commands that only read (status, list,
    show, ...) never create one; enqueue, config set and the worker commands do.
    """
    from queuectl_core.queue import Queue

    location = app.location()
    queue, created = Queue.init(location)
    try:
        where = queue.storage.describe()
    finally:
        queue.close()
    if as_json:
        render.emit_json({"backend": location.backend, "location": where, "created": created})
    elif created:
        click.echo(f"created a {location.backend} queue at {where}")
    else:
        click.echo(f"a {location.backend} queue exists at {where}")
