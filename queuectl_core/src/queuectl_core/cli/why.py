"""``queuectl why ID``: one line on why a job is where it is (see :mod:`queuectl_core.why`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.errors import NoSuchJobError, NoSuchScheduleError

if TYPE_CHECKING:
    from queuectl_core.queue import Queue
    from queuectl_core.why import Reason


@click.command()
@click.argument("job_ids", metavar="ID...", nargs=-1, required=True)
@json_option
@pass_app
def why(app: AppContext, job_ids: tuple[str, ...], as_json: bool) -> None:
    """Say why a job is not running (or what it is doing): delayed, retrying, waiting
    for a worker or for its dependencies, no worker for its queue, running on a host,
    or how it ended. An ID that names no job but a schedule says when it fires next,
    or that it is paused."""
    queue = app.queue(create=False)
    reasons = [(job_id, _reason(queue, job_id)) for job_id in job_ids]
    if as_json:
        views = [reason.view(job_id) for job_id, reason in reasons]
        render.emit_json(views[0] if len(views) == 1 else views)
        return
    for job_id, reason in reasons:
        click.echo(reason.text if len(reasons) == 1 else f"{job_id}: {reason.text}")


def _reason(queue: Queue, name: str) -> Reason:
    """Why of the job ``name``, else of the schedule ``name``."""
    from queuectl_core.why import explain, explain_schedule

    try:
        job = queue.get(name)
    except NoSuchJobError:
        try:
            schedule = queue.schedule(name)
        except NoSuchScheduleError:
            raise NoSuchJobError(name) from None
        return explain_schedule(schedule, when=render.local_time)
    return explain(queue, job, when=render.local_time)
