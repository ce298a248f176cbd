"""Looking at and cancelling jobs: ``list``, ``show``, ``logs``, ``cancel``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from queuectl_core import limits, progress
from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app, queues_option, split_names
from queuectl_core.errors import QueuectlError
from queuectl_core.job import Attempt, Job, State
from queuectl_core.serialize import attempt_view, job_view
from queuectl_core.units import human_duration

F = TypeVar("F", bound=Callable[..., Any])
STATE_NAMES = tuple(state.value for state in State)
COMMAND_WIDTH = 50
ERROR_WIDTH = 60
_DUE_SHOWN = (State.PENDING, State.FAILED)  # the states whose next run a table shows


def parse_states(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[State, ...] | None:
    """Callback for ``--state``: repeatable, comma-separated state names."""
    names = split_names(ctx, param, values)
    if names is None:
        return None
    unknown = [name for name in names if name not in STATE_NAMES]
    if unknown:
        raise click.BadParameter(
            f"unknown state {unknown[0]!r}; states: {', '.join(STATE_NAMES)}", ctx, param
        )
    return tuple(State(name) for name in names)


def complete_states(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion for ``--state``: the state names, after any comma-separated ones."""
    done, comma, last = incomplete.rpartition(",")
    return [done + comma + name for name in STATE_NAMES if name.startswith(last)]


def page_options(command: F) -> F:
    """``--limit`` and ``--offset``."""
    command = click.option(
        "--offset",
        type=click.IntRange(*limits.LIST_OFFSET),
        default=0,
        show_default=True,
        help="Skip this many.",
    )(command)
    return click.option(
        "--limit",
        type=click.IntRange(*limits.LIST_LIMIT),
        default=50,
        show_default=True,
        help="At most.",
    )(command)


def jobs_table(jobs: list[Job]) -> str:
    """The table ``list`` and ``dlq list`` print; a ``progress`` column after
    ``attempts`` when a job listed reported some (``queuectl progress``)."""
    shows_progress = any(job.progress is not None for job in jobs)
    header: tuple[str, ...] = (
        "id",
        "state",
        "queue",
        "priority",
        "attempts",
        "updated",
        "next run",
        "command",
    )
    if shows_progress:
        header = (*header[:5], "progress", *header[5:])
    rows: list[list[object]] = []
    for job in jobs:
        row: list[object] = [
            job.id,
            job.state.value,
            job.queue,
            job.priority,
            job.attempts,
            render.local_time(job.updated_at),
            render.local_time(job.next_run_at) if job.state in _DUE_SHOWN else "-",
            render.one_line(job.command, COMMAND_WIDTH),
        ]
        if shows_progress:
            row.insert(5, "-" if job.progress is None else f"{job.progress.percent:g}%")
        rows.append(row)
    return render.table(header, rows)


def print_jobs(jobs: list[Job], as_json: bool, empty: str = "no jobs") -> None:
    if as_json:
        render.emit_json([job_view(job) for job in jobs])
    elif jobs:
        click.echo(jobs_table(jobs))
    else:
        click.echo(empty)


@click.command("list")
@click.option(
    "-s",
    "--state",
    "states",
    multiple=True,
    callback=parse_states,
    shell_complete=complete_states,
    metavar="STATE[,STATE]",
    help=f"Only jobs in these states ({', '.join(STATE_NAMES)}).",
)
@queues_option("Only jobs in these queues.")
@page_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "jsonl"]),
    help="Output format (default: table). csv and jsonl stream every matching job "
    "(no default limit), for spreadsheets and scripts.",
)
@json_option
@pass_app
def list_jobs(
    app: AppContext,
    states: tuple[State, ...] | None,
    queues: tuple[str, ...] | None,
    limit: int,
    offset: int,
    fmt: str | None,
    as_json: bool,
) -> None:
    """List jobs, newest first.

    \b
    queuectl list --state dead --queue emails
    queuectl list --format csv > jobs.csv        # every job, for a spreadsheet
    queuectl list --state completed --format jsonl | jq .result
    """
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} contradict each other")
    fmt = "json" if as_json else fmt or "table"
    queue = app.queue(create=False)
    if fmt in ("csv", "jsonl"):
        from queuectl_core.cli.export import write_jobs

        source = click.get_current_context().get_parameter_source("limit")
        given = source is not None and source.name != "DEFAULT"
        jobs = queue.iter_jobs(
            states=states, queues=queues, limit=limit if given else None, offset=offset
        )
        write_jobs(jobs, fmt)
        return
    print_jobs(
        queue.list_jobs(states=states, queues=queues, limit=limit, offset=offset), fmt == "json"
    )


@click.command()
@click.argument("job_id", metavar="ID")
@json_option
@pass_app
def show(app: AppContext, job_id: str, as_json: bool) -> None:
    """Show a job and its attempt history."""
    from queuectl_core.why import explain

    queue = app.queue(create=False)
    job = queue.get(job_id)
    attempts = queue.attempts(job_id)
    if as_json:
        view = job_view(job)
        view["history"] = [attempt_view(attempt, output=False) for attempt in attempts]
        reason = explain(queue, job)
        view["why"] = {"reason": reason.code, "text": reason.text}
        render.emit_json(view)
        return
    settings = queue.settings()
    max_retries = (
        f"{settings['max_retries']} (default)" if job.max_retries is None else job.max_retries
    )
    if job.timeout is not None:
        timeout = human_duration(job.timeout)
    elif settings["job_timeout"]:
        timeout = f"{human_duration(settings['job_timeout'])} (default)"
    else:
        timeout = "none (default)"
    pairs: list[tuple[str, object]] = [
        ("id", job.id),
        ("state", job.state.value),
        ("command", render.one_line(job.command)),
        ("type", job.type),
        ("queue", job.queue),
        ("priority", shown_priority(job.priority)),
        ("attempts", job.attempts),
        ("max_retries", max_retries),
        ("timeout", timeout),
        ("created", render.local_time(job.created_at)),
        ("updated", render.local_time(job.updated_at)),
        ("why", explain(queue, job, when=render.local_time).text),
    ]
    if job.after:
        each = "to end, whatever the outcome" if job.after_any else "to complete"
        pairs.append(("after", f"{', '.join(job.after)} (each {each})"))
    if job.unique_key is not None:
        pairs.append(("unique key", _unique_text(job)))
    pairs.extend(_own_options(job))
    if job.state in (State.PENDING, State.FAILED):
        pairs.append(("next run", render.local_time(job.next_run_at)))
    if job.expires_at is not None:
        pairs.append(("expires", f"{render.local_time(job.expires_at)} (if not started by then)"))
    if job.worker_id:
        pairs.append(("worker", job.worker_id))
    if job.last_error:
        pairs.append(("last error", render.one_line(job.last_error)))
    if job.progress is not None:
        reported = f"{progress.text(job.progress)} (at {render.local_time(job.progress.at)})"
        pairs.append(("progress", render.one_line(reported)))
    if job.unreadable:
        pairs.append(
            ("unreadable", f"{', '.join(job.unreadable)} (stored values shown as placeholders)")
        )
    if "payload" in job.unreadable:  # the stored text, which is not JSON
        pairs.append(("payload", render.one_line(str(job.payload), COMMAND_WIDTH)))
    elif job.payload is not None:
        pairs.append(("payload", render.compact_json(job.payload)))
    if job.result is not None:
        pairs.append(("result", render.compact_json(job.result)))
    click.echo(render.fields(pairs))
    click.echo()
    click.echo(attempts_table(attempts) if attempts else "no attempts yet")


def _unique_text(job: Job) -> str:
    """``KEY (...)``: when an enqueue with the same key is this job's duplicate."""
    from queuectl_core.unique import DEFAULT_STATES

    states = [state.value for state in job.unique_while or DEFAULT_STATES]
    listed = " or ".join([", ".join(states[:-1]), states[-1]] if len(states) > 1 else states)
    window = "" if job.unique_for is None else f" and under {human_duration(job.unique_for)} old"
    key = render.one_line(job.unique_key or "")
    return f"{key} (an enqueue with it is a duplicate of this job while {listed}{window})"


def _own_options(job: Job) -> list[tuple[str, object]]:
    """The job's directory, environment (names only) and retry rules, where it has them."""
    from queuectl_core import exit_codes

    pairs: list[tuple[str, object]] = []
    if job.cwd is not None:
        pairs.append(("cwd", render.one_line(job.cwd)))
    if job.env:
        pairs.append(("env", f"{', '.join(sorted(job.env))} (values hidden)"))
    if job.backoff_jitter is not None:
        pairs.append(("backoff_jitter", "on" if job.backoff_jitter else "off"))
    if job.retry_on_exit is not None:
        pairs.append(("retry_on_exit", exit_codes.text(job.retry_on_exit)))
    if job.no_retry_exit is not None:
        pairs.append(("no_retry_exit", exit_codes.text(job.no_retry_exit)))
    return pairs


def shown_priority(priority: int) -> str:
    """``10 (high)`` for a named priority, else the number."""
    from queuectl_core.jobspec import priority_name

    name = priority_name(priority)
    return str(priority) if name is None else f"{priority} ({name})"


def attempts_table(attempts: list[Attempt]) -> str:
    return render.table(
        ("#", "worker", "started", "ended", "duration", "exit", "outcome", "error"),
        (
            (
                attempt.number,
                attempt.worker_id,
                render.local_time(attempt.started_at),
                render.local_time(attempt.finished_at),
                human_duration(attempt.duration),
                "-" if attempt.exit_code is None else str(attempt.exit_code),
                attempt.outcome.value,
                render.one_line(attempt.error, ERROR_WIDTH),
            )
            for attempt in attempts
        ),
    )


@click.command()
@click.argument("job_id", metavar="ID")
@click.option("-a", "--attempt", "number", type=click.IntRange(min=1), help="Default: the last.")
@click.option(
    "--stderr/--stdout",
    "stderr",
    default=None,
    help="Which stream to print (default: stdout; with --follow, both).",
)
@click.option(
    "-f",
    "--follow",
    is_flag=True,
    help="Print the output as the running job writes it (its stderr to stderr), "
    "waiting for it to start; exit 0 once the attempt succeeds, 1 if it ends otherwise.",
)
@json_option
@pass_app
def logs(
    app: AppContext,
    job_id: str,
    number: int | None,
    stderr: bool | None,
    follow: bool,
    as_json: bool,
) -> None:
    """Print an attempt's captured output, byte for byte; of a running job, what it
    has printed so far.

    With --json, both streams of the attempt as text (and as base64 when the
    bytes are not UTF-8).
    """
    if follow:
        if as_json:
            raise click.UsageError("--follow prints output as it comes: it takes no --json")
        from queuectl_core.cli.follow import follow as follow_output

        streams = ["stdout", "stderr"] if stderr is None else ["stderr" if stderr else "stdout"]
        sys.exit(follow_output(app.queue(create=False), job_id, number, streams))
    attempts = app.queue(create=False).attempts(job_id)
    if not attempts:
        raise QueuectlError(f"job {job_id!r} has not run yet")
    if number is None:
        attempt = attempts[-1]
    else:
        found = [attempt for attempt in attempts if attempt.number == number]
        if not found:
            raise QueuectlError(
                f"job {job_id!r} has no attempt {number}; attempts: "
                + ", ".join(str(attempt.number) for attempt in attempts)
            )
        attempt = found[0]
    if as_json:
        render.emit_json(attempt_view(attempt))
        return
    data, dropped = (
        (attempt.stderr, attempt.stderr_dropped)
        if stderr
        else (attempt.stdout, attempt.stdout_dropped)
    )
    if dropped:
        stream = "stderr" if stderr else "stdout"
        click.echo(f"[{dropped} earlier bytes of {stream} were not kept]", err=True)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@click.command()
@click.argument("job_id", metavar="ID")
@json_option
@pass_app
def cancel(app: AppContext, job_id: str, as_json: bool) -> None:
    """Cancel a pending, failed, running (stopped) or waiting job.

    Jobs waiting for it with --after are cancelled too.
    """
    job = app.queue(create=False).cancel(job_id)
    if as_json:
        render.emit_json(job_view(job))
    else:
        click.echo(f"cancelled {job.id}")
