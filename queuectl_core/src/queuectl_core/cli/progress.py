"""Run from inside a job: ``queuectl progress`` and ``queuectl heartbeat`` (see
:mod:`queuectl_core.progress`)."""

from __future__ import annotations

import time

import click

from queuectl_core.cli.context import AppContext, parse_duration, pass_app
from queuectl_core.job import PROGRESS_MESSAGE_CHARS


@click.command()
@click.argument("percent", type=float, metavar="PERCENT")
@click.option(
    "-m",
    "--message",
    metavar="TEXT",
    help=f"What the job is doing, one line of at most {PROGRESS_MESSAGE_CHARS} characters.",
)
@pass_app
def progress(app: AppContext, percent: float, message: str | None) -> None:
    """Record the running job's progress, 0 to 100 (run it from inside a job).

    It names the job and its attempt by $QUEUECTL_JOB_ID and $QUEUECTL_JOB_TOKEN, which
    the worker sets; once the attempt has ended it writes nothing and fails. Shown by
    show, list, why and the dashboard.

    \b
    queuectl progress 40 --message "copied 4 of 10 files"
    """
    from queuectl_core import progress as reports

    job_id, token = reports.credentials()
    checked = reports.checked(percent, message, time.time())  # before opening the backend
    queue = app.queue(create=False)
    reports.report(queue.storage, job_id, token, checked.percent, checked.message, checked.at)


@click.command()
@click.option(
    "--extend",
    metavar="DURATION",
    callback=parse_duration,
    help="Extend the running attempt's timeout by this much (30s, 10m, 1h), in all at "
    "most the max_timeout_extension setting.",
)
@pass_app
def heartbeat(app: AppContext, extend: float | None) -> None:
    """From inside a job: with --extend, give its attempt more time before its
    timeout stops it; alone, check that the attempt still holds the job.

    Fails once the attempt has ended (finished, cancelled, or lost and run again). An
    extension beyond max_timeout_extension is capped at it (a line on stderr says so);
    one with nothing left to grant fails.

    \b
    queuectl heartbeat --extend 10m
    """
    from queuectl_core import progress as reports

    job_id, token = reports.credentials()
    queue = app.queue(create=False)
    if extend is None:
        if queue.storage.extend_timeout(job_id, token, 0, 0) is None:
            raise reports.ProgressError(reports.stale(job_id))
        return
    if extend <= 0:
        raise click.BadParameter("must be longer than 0s", param_hint="'--extend'")
    maximum = queue.settings()["max_timeout_extension"]
    added, total = reports.extend(queue.storage, job_id, token, extend, maximum)
    if added < extend:
        click.echo(
            f"extended by {added:g}s only: max_timeout_extension allows {maximum:g}s "
            f"in all ({total:g}s granted)",
            err=True,
        )
