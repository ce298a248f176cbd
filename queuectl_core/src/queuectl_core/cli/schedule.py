"""``queuectl schedule``: recurring jobs, fired by every running worker."""

from __future__ import annotations

import copy
from typing import Any

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.cli.enqueue import FIELD_FLAGS, PROCESS_OPTIONS, process_fields
from queuectl_core.cli.enqueue import enqueue as enqueue_command
from queuectl_core.cli.group import SuggestingGroup
from queuectl_core.errors import NoSuchScheduleError
from queuectl_core.jobspec import loads
from queuectl_core.queue import Queue, prepare_schedule
from queuectl_core.schedules.model import CatchUp, Overlap
from queuectl_core.schedules.spec import NOT_IN_TEMPLATE
from queuectl_core.serialize import job_view, schedule_view

#: The options of ``enqueue`` a schedule's job takes (as option name -> job field):
#: all that set a field but the id and when it runs.
TEMPLATE_FLAGS = {option: name for option, name in FIELD_FLAGS if name not in NOT_IN_TEMPLATE}
TEMPLATE_OPTIONS = (*TEMPLATE_FLAGS, *PROCESS_OPTIONS, "payload")


@click.group(cls=SuggestingGroup)
def schedule() -> None:
    """Recurring jobs: a job enqueued on a cron timetable or every so often.

    Schedules live in the backend: every running worker fires them, and each run is
    one job (id NAME@TIME) however many workers and hosts there are.
    """


@schedule.command()
@click.argument("name")
@click.option(
    "--cron",
    metavar="EXPR",
    help="Cron expression: 5 fields (minute hour day month weekday), or 6 with seconds "
    'first, e.g. "*/5 * * * *".',
)
@click.option(
    "--timezone",
    "--tz",
    "timezone",
    metavar="TZ",
    help="Time zone of --cron, e.g. Europe/Berlin (default: UTC).",
)
@click.option(
    "--every",
    metavar="DURATION",
    help="Instead of --cron: fire every DURATION (30s, 10m, 1d), at whole multiples of "
    "it since 1970-01-01 UTC.",
)
@click.option(
    "--catch-up",
    type=click.Choice([policy.value for policy in CatchUp]),
    help="Runs missed while no worker ran: enqueue none, the latest (default), or all "
    "(at most 100).",
)
@click.option(
    "--overlap",
    type=click.Choice([policy.value for policy in Overlap]),
    help="A run due while the previous one has not ended: allow it, skip it (default), "
    "or queue it to start when the previous ends.",
)
@json_option
@pass_app
def add(
    app: AppContext,
    /,
    name: str,
    cron: str | None,
    timezone: str | None,
    every: str | None,
    catch_up: str | None,
    overlap: str | None,
    as_json: bool,
    cwd: str | None,
    env: tuple[str, ...],
    **flags: str | None,
) -> None:
    """Add a schedule, or update the one named NAME in place (its next run is
    computed anew). The job options are those of enqueue.

    \b
    queuectl schedule add backup --cron "0 3 * * *" --timezone Europe/Berlin \\
        --command "backup.sh" --timeout 1h
    queuectl schedule add ping --every 30s --command "curl -fsS https://example.org"
    """
    job: dict[str, Any] = {
        field: value
        for option, field in TEMPLATE_FLAGS.items()
        if (value := flags[option]) is not None
    }
    if flags["payload"] is not None:
        job["payload"] = loads(flags["payload"], "--payload")
    # No default directory: without --cwd a run uses its worker's.
    job.update(process_fields(cwd, env))
    prepared = prepare_schedule(  # first: bad input creates no queue
        name,
        job,
        cron=cron,
        every=every,
        timezone=timezone,
        catch_up=catch_up,
        overlap=overlap,
    )
    queue = app.queue()
    existed = _exists(queue, name)
    added = queue.store_schedule(prepared)
    if as_json:
        render.emit_json(schedule_view(added, queue.last_run_state(added)))
        return
    when = "paused" if added.paused else f"next run {render.local_time(added.next_run_at)}"
    click.echo(f"{'updated' if existed else 'added'} schedule {name} ({added.timing}), {when}")


# The job options, as enqueue defines them, before --json.
add.params[-1:-1] = [
    copy.copy(param) for param in enqueue_command.params if param.name in TEMPLATE_OPTIONS
]
for _param in add.params:
    if _param.name == "cwd" and isinstance(_param, click.Option):  # no default directory
        _param.help = (
            "Run each run's command in DIR (relative: to this directory). "
            "Default: the worker's directory."
        )


@schedule.command("list")
@json_option
@pass_app
def list_schedules(app: AppContext, as_json: bool) -> None:
    """Every schedule: when it runs next, its last run and how that run is doing."""
    queue = app.queue(create=False)
    found = [(each, queue.last_run_state(each)) for each in queue.schedules()]
    if as_json:
        render.emit_json([schedule_view(each, state) for each, state in found])
        return
    if not found:
        click.echo("no schedules")
        return
    click.echo(
        render.table(
            ("name", "when", "next run", "last run", "last state", "command"),
            (
                (
                    each.name,
                    each.timing,
                    "paused" if each.paused else render.local_time(each.next_run_at),
                    render.local_time(each.last_run_at),
                    "-" if state is None else state.value,
                    render.one_line(str(each.job.get("command") or ""), 40),
                )
                for each, state in found
            ),
        )
    )


@schedule.command()
@click.argument("name")
@json_option
@pass_app
def show(app: AppContext, name: str, as_json: bool) -> None:
    """One schedule in full, with its job template."""
    queue = app.queue(create=False)
    found = queue.schedule(name)
    view = schedule_view(found, queue.last_run_state(found))
    if as_json:
        render.emit_json(view)
        return
    click.echo(
        render.fields(
            [
                ("name", found.name),
                ("when", found.timing),
                ("catch-up", found.catch_up.value),
                ("overlap", found.overlap.value),
                ("next run", "paused" if found.paused else render.local_time(found.next_run_at)),
                ("last run", render.local_time(found.last_run_at)),
                ("last job", found.last_job_id or "-"),
                ("last state", view["last_state"] or "-"),
                ("created", render.local_time(found.created_at)),
                ("updated", render.local_time(found.updated_at)),
                ("job", render.compact_json(view["job"])),
            ]
            + ([("unreadable", "its stored definition cannot be read")] if found.unreadable else [])
        )
    )


@schedule.command()
@click.argument("name")
@pass_app
def remove(app: AppContext, name: str) -> None:
    """Delete a schedule; the jobs it enqueued stay."""
    app.queue(create=False).remove_schedule(name)
    click.echo(f"removed schedule {name}")


@schedule.command()
@click.argument("name")
@pass_app
def pause(app: AppContext, name: str) -> None:
    """Stop a schedule from firing until resume (a running job goes on)."""
    app.queue(create=False).pause_schedule(name)
    click.echo(f"paused schedule {name}")


@schedule.command()
@click.argument("name")
@pass_app
def resume(app: AppContext, name: str) -> None:
    """Let a paused schedule fire again, from its next run time on (what the pause
    skipped is not caught up)."""
    resumed = app.queue(create=False).resume_schedule(name)
    click.echo(f"resumed schedule {name}, next run {render.local_time(resumed.next_run_at)}")


@schedule.command()
@click.argument("name")
@json_option
@pass_app
def run(app: AppContext, name: str, as_json: bool) -> None:
    """Enqueue one run now, whatever the timetable, overlap policy or pause; prints the
    job's id."""
    job = app.queue(create=False).run_schedule(name)
    if as_json:
        render.emit_json(job_view(job))
    else:
        click.echo(job.id)


def _exists(queue: Queue, name: str) -> bool:
    try:
        queue.schedule(name)
    except NoSuchScheduleError:
        return False
    return True
