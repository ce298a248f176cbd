"""``queuectl why ID``: one line on why a job is where it is (see :mod:`queuectl_core.why`)."""

from __future__ import annotations

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app


@click.command()
@click.argument("job_ids", metavar="ID...", nargs=-1, required=True)
@json_option
@pass_app
def why(app: AppContext, job_ids: tuple[str, ...], as_json: bool) -> None:
    """Say why a job is not running (or what it is doing): delayed, retrying, waiting
    for a worker, no worker for its queue, running on a host, or how it ended."""
    from queuectl_core.why import explain

    queue = app.queue(create=False)
    reasons = [
        (job_id, explain(queue, queue.get(job_id), when=render.local_time)) for job_id in job_ids
    ]
    if as_json:
        views = [reason.view(job_id) for job_id, reason in reasons]
        render.emit_json(views[0] if len(views) == 1 else views)
        return
    for job_id, reason in reasons:
        click.echo(reason.text if len(reasons) == 1 else f"{job_id}: {reason.text}")
