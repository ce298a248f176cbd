"""``queuectl hello``: enqueue a greeting for the ``hello.greet`` handler."""

from __future__ import annotations

import click

from queuectl_core.cli.context import AppContext, pass_app


@click.command("hello")
@click.argument("name", default="world")
@pass_app
def hello(app: AppContext, name: str) -> None:
    """Enqueue a hello.greet job for NAME and print its id."""
    # app.queue() opens the backend chosen by --db, --backend, --config or the environment
    job = app.queue().enqueue(type="hello.greet", payload={"name": name})
    click.echo(job.id)
