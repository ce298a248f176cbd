"""``queuectl plugins``: installed plugins, their versions and the hooks they implement."""

from __future__ import annotations

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import json_option


@click.command()
@json_option
def plugins(as_json: bool) -> None:
    """List installed plugins, their versions and hooks."""
    from queuectl_core.plugins import plugin_infos

    infos = plugin_infos()
    if as_json:
        render.emit_json([info._asdict() for info in infos])
        return
    click.echo(
        render.table(
            ("name", "version", "hooks"),
            (
                (
                    info.name,
                    "built-in" if info.builtin else info.version or "-",
                    ", ".join(hook.removeprefix("queuectl_") for hook in info.hooks) or "-",
                )
                for info in infos
            ),
        )
    )
