"""``queuectl dlq``: the dead letter queue (jobs out of retries)."""

from __future__ import annotations

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.cli.group import SuggestingGroup
from queuectl_core.cli.jobs import page_options, print_jobs
from queuectl_core.cli.purge import confirm_purge, yes_option
from queuectl_core.job import State


@click.group(cls=SuggestingGroup)
def dlq() -> None:
    """The dead letter queue: list, retry or purge dead jobs."""


@dlq.command("list")
@page_options
@json_option
@pass_app
def list_dead(app: AppContext, limit: int, offset: int, as_json: bool) -> None:
    """List dead jobs, newest first."""
    jobs = app.queue(create=False).list_jobs(states=[State.DEAD], limit=limit, offset=offset)
    print_jobs(jobs, as_json, empty="no dead jobs")


@dlq.command()
@click.argument("job_ids", nargs=-1, metavar="[ID]...")
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead job.")
@json_option
@pass_app
def retry(app: AppContext, job_ids: tuple[str, ...], retry_all: bool, as_json: bool) -> None:
    """Move dead jobs back to pending with a fresh retry budget.

    Jobs their death cancelled (--after) wait for them again.
    """
    if bool(job_ids) == retry_all:
        raise click.UsageError("give job ids or --all (not both)")
    retried = app.queue(create=False).retry_dead(None if retry_all else list(job_ids))
    if as_json:
        render.emit_json(retried)
    else:
        click.echo(f"retried {render.plural(len(retried), 'job')}")


@dlq.command()
@click.argument("job_ids", nargs=-1, metavar="[ID]...")
@yes_option
@json_option
@pass_app
def purge(app: AppContext, job_ids: tuple[str, ...], yes: bool, as_json: bool) -> None:
    """Delete dead jobs and their history.

    No ids: every dead job, after asking on a terminal (elsewhere pass --yes).
    """
    queue = app.queue(create=False)
    if not job_ids and not yes:
        confirm_purge(queue, (State.DEAD,), None)
    purged = queue.purge_dead(list(job_ids) or None)
    if as_json:
        render.emit_json({"purged": purged})
    else:
        click.echo(f"purged {render.plural(purged, 'job')}")
