"""The ``queuectl`` command line.

Only click is imported here; each command's module, the plugins and the backend
load when a command runs, so ``queuectl status`` starts fast.
"""

from __future__ import annotations

import sys

import click

from queuectl_core.cli.context import AppContext
from queuectl_core.cli.group import EXIT_INTERRUPTED, QueuectlGroup

__all__ = ["cli", "main"]

BUILTIN_COMMANDS = {
    "init": "queuectl_core.cli.init:init",
    "enqueue": "queuectl_core.cli.enqueue:enqueue",
    "list": "queuectl_core.cli.jobs:list_jobs",
    "show": "queuectl_core.cli.jobs:show",
    "why": "queuectl_core.cli.why:why",
    "logs": "queuectl_core.cli.jobs:logs",
    "cancel": "queuectl_core.cli.jobs:cancel",
    "wait": "queuectl_core.cli.wait:wait",
    "progress": "queuectl_core.cli.progress:progress",
    "heartbeat": "queuectl_core.cli.progress:heartbeat",
    "status": "queuectl_core.cli.status:status",
    "worker": "queuectl_core.cli.workers:worker",
    "queue": "queuectl_core.cli.queues:queue",
    "dlq": "queuectl_core.cli.dlq:dlq",
    "schedule": "queuectl_core.cli.schedule:schedule",
    "purge": "queuectl_core.cli.purge:purge",
    "config": "queuectl_core.cli.config:config",
    "plugins": "queuectl_core.cli.plugins:plugins",
    "completion": "queuectl_core.cli.completion:completion",
}


@click.group(
    cls=QueuectlGroup,
    lazy_commands=BUILTIN_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_file",
    metavar="PATH",
    help="Config file (default: $QUEUECTL_CONFIG, else $XDG_CONFIG_HOME/queuectl/config.toml).",
)
@click.option("--backend", metavar="NAME", help="Storage backend (default: sqlite).")
@click.option(
    "--db", metavar="LOCATION", help="Where the backend keeps its data: SQLite file, server URL."
)
@click.option("-v", "--verbose", count=True, help="Log more (-vv for debug).")
@click.version_option(package_name="queuectl-core", prog_name="queuectl")
@click.pass_context
def cli(
    ctx: click.Context, config_file: str | None, backend: str | None, db: str | None, verbose: int
) -> None:
    """A background job queue: shell commands and Python handlers run by workers,
    with retries, backoff, a dead letter queue and full attempt history."""
    if verbose:
        import logging

        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    app = AppContext(config_file=config_file, backend=backend, db=db)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    """Entry point of the ``queuectl`` console script."""
    try:
        cli.main(prog_name="queuectl")
    except KeyboardInterrupt:  # during start-up, before a command runs
        sys.exit(EXIT_INTERRUPTED)
