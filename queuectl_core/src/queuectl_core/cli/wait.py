"""``queuectl wait``: block until jobs have ended; the exit status says how."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from queuectl_core import limits
from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app, queues_option
from queuectl_core.errors import NoSuchJobError

if TYPE_CHECKING:
    from queuectl_core.wait import WaitResult

#: Exit status when a job did not complete (dead, cancelled or purged).
EXIT_NOT_COMPLETED = 1
#: Exit status when the timeout came first, as timeout(1) has it.
EXIT_TIMED_OUT = 124
#: Characters of the progress bar.
BAR_WIDTH = 30


def _timeout(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    from queuectl_core import units

    try:
        return limits.check_duration(units.parse_duration(value), limits.WAIT_TIMEOUT)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.command()
@click.argument("job_ids", nargs=-1, metavar="[ID]...")
@queues_option("Wait for every job of these queues.")
@click.option("--all", "all_jobs", is_flag=True, help="Wait for every job.")
@click.option(
    "--timeout",
    metavar="DURATION",
    callback=_timeout,
    help=f"Give up after this long (exit status {EXIT_TIMED_OUT}).",
)
@json_option
@pass_app
def wait(
    app: AppContext,
    job_ids: tuple[str, ...],
    queues: tuple[str, ...] | None,
    all_jobs: bool,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Wait until jobs have ended: exit 0 if all completed, 1 if not.

    Give job ids, or --queue for every job of some queues (until none is pending,
    processing, failed or waiting), or --all. After --timeout: exit 124, saying
    how many jobs are still running or waiting.

    \b
    queuectl wait build test deploy
    queuectl wait --queue emails --timeout 10m
    """
    if sum((bool(job_ids), queues is not None, all_jobs)) != 1:
        raise click.UsageError("give job ids, --queue or --all (one of them)")
    queue = app.queue(create=False)
    bar = _ProgressBar() if sys.stderr.isatty() else None
    try:
        result = queue.wait(
            list(job_ids) if job_ids else None,
            queues=queues,
            timeout=timeout,
            progress=None if bar is None else bar.show,
        )
    except NoSuchJobError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None
    finally:
        if bar is not None:
            bar.clear()
    if as_json:
        render.emit_json(result.view())
    else:
        click.echo(result.summary(timeout))
    if result.timed_out:
        sys.exit(EXIT_TIMED_OUT)
    if not result.ok:
        sys.exit(EXIT_NOT_COMPLETED)


class _ProgressBar:
    """One line on the terminal (stderr), redrawn after each look, while more than one
    job is waited for."""

    def __init__(self) -> None:
        self.drawn = False

    def show(self, result: WaitResult) -> None:
        total = result.total
        if total < 2:
            return
        ended = total - result.unfinished
        filled = BAR_WIDTH * ended // total
        failed = result.dead + result.cancelled + result.gone
        note = f" ({failed} not completed)" if failed else ""
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {ended}/{total} ended{note}"
        click.echo(f"\r{line}\x1b[K", nl=False, err=True)
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            click.echo("\r\x1b[K", nl=False, err=True)
