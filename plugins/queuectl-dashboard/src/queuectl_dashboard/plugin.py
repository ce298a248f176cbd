"""Registers the ``queuectl dashboard`` command.

Kept import-light: the CLI loads every plugin, so the command and the server are
imported only when ``queuectl`` needs its plugin commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from queuectl_core.hookspecs import hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def queuectl_register_commands(cli: click.Group) -> None:
    from queuectl_dashboard.command import dashboard

    cli.add_command(dashboard)
