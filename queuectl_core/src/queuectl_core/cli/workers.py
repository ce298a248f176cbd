"""``queuectl worker``: start, run, stop and list worker processes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import (
    AppContext,
    json_option,
    parse_duration,
    pass_app,
    queues_option,
)
from queuectl_core.cli.group import SuggestingGroup
from queuectl_core.job import WorkerInfo
from queuectl_core.serialize import worker_view

F = TypeVar("F", bound=Callable[..., Any])


@click.group(cls=SuggestingGroup)
def worker() -> None:
    """Start, run, stop and list workers."""


queue_option = queues_option("Only take jobs from these queues (default: every queue).")


def count_option(command: F) -> F:
    return click.option(
        "-n",
        "--count",
        type=click.IntRange(min=1, max=1024),
        default=1,
        show_default=True,
        help="Number of worker processes.",
    )(command)


def print_workers(app: AppContext, workers: list[WorkerInfo], as_json: bool) -> None:
    """The workers as a table with the job each is running, or as JSON."""
    from queuectl_core.overview import running_jobs, worker_views

    queue = app.queue()
    if as_json:
        render.emit_json(worker_views(queue, workers))
        return
    running = running_jobs(queue) if workers else {}
    if not workers:
        click.echo("no workers")
    else:
        click.echo(
            render.table(
                ("id", "host", "pid", "queues", "started", "last heartbeat", "current job"),
                (
                    (
                        item.id,
                        item.host,
                        item.pid,
                        ",".join(item.queues) or "*",
                        render.local_time(item.started_at),
                        render.local_time(item.heartbeat_at),
                        ",".join(running.get(item.id, [])) or "-",
                    )
                    for item in workers
                ),
            )
        )


@worker.command("start")
@count_option
@queue_option
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the workers write their log (default: $XDG_STATE_HOME/queuectl/workers.log).",
)
@click.option(
    "--add",
    is_flag=True,
    help="Start them even though workers of this backend already run on this host.",
)
@json_option
@pass_app
def start(
    app: AppContext,
    count: int,
    queues: tuple[str, ...] | None,
    log_file: Path | None,
    add: bool,
    as_json: bool,
) -> None:
    """Start workers in the background; returns once they are up.

    If workers of this backend already run on this host, says how many and starts
    none, unless --add is given.
    """
    from queuectl_core.config import state_home
    from queuectl_core.worker import launch

    log_file = log_file or state_home() / "workers.log"
    require_shared_backend(app, "worker start runs workers in other processes")
    started = launch.start_detached(app.location(), count, queues, log_file, add=add)
    if not as_json:
        click.echo(f"started {render.plural(len(started), 'worker')}, logging to {log_file}")
    print_workers(app, started, as_json)


def require_shared_backend(app: AppContext, why: str) -> None:
    """Refuse, in one line, a backend whose data other processes cannot see."""
    location = app.location()
    if not location.spec().shared:
        raise click.ClickException(
            f"the {location.backend} backend keeps its jobs inside one process, and {why}; "
            "use 'worker run' (one worker, in this process)"
        )


@worker.command("run")
@count_option
@queue_option
@click.option("--burst", is_flag=True, help="Exit once no job is ready.")
@pass_app
def run(app: AppContext, count: int, queues: tuple[str, ...] | None, burst: bool) -> None:
    """Run workers in the foreground (systemd, containers)."""
    from queuectl_core.worker import supervisor

    if count != 1:
        require_shared_backend(app, "more than one worker run in processes of their own")
    code = supervisor.run_foreground(app.location(), count, queues, burst)
    if code:
        raise click.exceptions.Exit(code)


@worker.command("stop")
@click.option(
    "--timeout",
    callback=parse_duration,
    metavar="DURATION",
    help="How long to wait for running jobs (default: until they finish).",
)
@click.option("--force", is_flag=True, help="Interrupt running jobs; they go back to pending.")
@json_option
@pass_app
def stop(app: AppContext, timeout: float | None, force: bool, as_json: bool) -> None:
    """Stop every worker gracefully; returns once they have exited."""
    from queuectl_core.worker import shutdown

    queue = app.queue()
    stopped = shutdown.stop_workers(
        queue.storage,
        timeout,
        force,
        warn=lambda note: click.echo(f"Warning: {note}", err=True),
        hook_queue=queue.for_hooks,
    )
    if as_json:
        render.emit_json([worker_view(item, live=False) for item in stopped])
    else:
        click.echo(f"stopped {render.plural(len(stopped), 'worker')}")


@worker.command("list")
@json_option
@pass_app
def list_workers(app: AppContext, as_json: bool) -> None:
    """List registered workers and the job each is running."""
    print_workers(app, app.queue(create=False).workers(), as_json)
