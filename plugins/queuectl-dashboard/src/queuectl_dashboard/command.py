"""``queuectl dashboard``: serve the web dashboard until Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress

import click

from queuectl_core.cli.context import AppContext, pass_app
from queuectl_core.pluginkit.serving import port_option, serve_until_stopped

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to listen on. There is no authentication: to reach the dashboard "
    "from elsewhere, put it behind a reverse proxy that authenticates.",
)
@port_option(DEFAULT_PORT)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    metavar="SECONDS",
    help="How often the page refreshes itself (0: paused until resumed on the page).",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests whose Host is NAME, e.g. a reverse proxy's public name "
    "('*': any). IP addresses and localhost are always answered.",
)
@pass_app
def dashboard(
    app: AppContext, host: str, port: int, refresh: float, allowed_hosts: tuple[str, ...]
) -> None:
    """Serve a web dashboard: job counts, workers, jobs and their output, DLQ actions."""
    from queuectl_dashboard.api import Api
    from queuectl_dashboard.hosts import HostCheck
    from queuectl_dashboard.page import load_page
    from queuectl_dashboard.server import open_server

    queue = app.queue()
    page = load_page(refresh)
    server = open_server(host, port, Api(queue), page, HostCheck([host, *allowed_hosts]))
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host} without authentication; anyone who can reach it "
            "can cancel, retry and purge jobs",
            err=True,
        )
    click.echo(f"dashboard of {queue.storage.describe()} at {server.url} (Ctrl-C to stop)")
    serve_until_stopped(server)
