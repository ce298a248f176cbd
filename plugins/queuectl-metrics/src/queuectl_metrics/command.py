"""``queuectl metrics``: print the Prometheus metrics, or serve them on ``/metrics``."""

from __future__ import annotations

import sys

import click

from queuectl_core.cli.context import AppContext, pass_app
from queuectl_core.pluginkit.serving import port_option, serve_until_stopped

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9851


@click.group(invoke_without_command=True)
@click.pass_context
def metrics(ctx: click.Context) -> None:
    """Print the queue's Prometheus metrics (text format); `metrics serve` serves them."""
    if ctx.invoked_subcommand is not None:
        return
    from queuectl_metrics.collector import exposition, registry_for

    app = ctx.find_object(AppContext)
    assert app is not None  # the root group always sets it
    click.echo(exposition(registry_for(app.queue)).decode("utf-8"), nl=False)


@metrics.command()
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to listen on (0.0.0.0 or :: for every interface).",
)
@port_option(DEFAULT_PORT)
@pass_app
def serve(app: AppContext, host: str, port: int) -> None:
    """Serve the metrics at http://HOST:PORT/metrics until Ctrl-C or SIGTERM."""
    from queuectl_metrics.collector import registry_for
    from queuectl_metrics.server import open_server

    queue = app.queue()
    server = open_server(host, port, registry_for(app.queue))
    click.echo(f"metrics of {queue.storage.describe()} at {server.url} (Ctrl-C to stop)")
    sys.stdout.flush()  # a supervisor reading our output sees the address at once
    serve_until_stopped(server)
