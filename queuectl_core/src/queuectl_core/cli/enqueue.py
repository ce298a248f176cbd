"""``queuectl enqueue``: one job from JSON and/or flags, or many from a JSON Lines file."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from typing import Any

import click

from queuectl_core import executors, job_process
from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app, split_names
from queuectl_core.errors import DuplicateJobError, InvalidJobError, NoQueueError, QueuectlError
from queuectl_core.job import Job
from queuectl_core.jobspec import loads, parse_json
from queuectl_core.queue import Queue, prepare_jobs
from queuectl_core.serialize import job_view

#: Flags that set a job field, as (option name, field name).
FIELD_FLAGS = (
    ("command", "command"),
    ("job_id", "id"),
    ("job_type", "type"),
    ("queue", "queue"),
    ("priority", "priority"),
    ("max_retries", "max_retries"),
    ("timeout", "timeout"),
    ("delay", "delay"),
    ("run_at", "run_at"),
    ("expires_in", "expires_in"),
    ("expires_at", "expires_at"),
    ("unique_key", "unique_key"),
    ("unique_for", "unique_for"),
    ("unique_while", "unique_while"),
    ("backoff_jitter", "backoff_jitter"),
    ("retry_on_exit", "retry_on_exit"),
    ("no_retry_exit", "no_retry_exit"),
)
#: Options that give a job its process's directory and environment (not in FIELD_FLAGS:
#: the command line resolves them first, see :func:`process_fields`).
PROCESS_OPTIONS = ("cwd", "env")
#: Fields that say when a job runs, and when it expires: a flag for one of a pair
#: replaces the JSON's other.
WHEN_FIELDS = (("delay", "run_at"), ("expires_in", "expires_at"))


@click.command()
@click.argument("job", required=False, metavar="[JSON]")
@click.option("-c", "--command", help="Shell command (or handler name for --type python).")
@click.option("--id", "job_id", help="Job id (default: random).")
@click.option("--type", "job_type", metavar="NAME", help="Executor or handler (default: shell).")
@click.option("-q", "--queue", help="Queue name (default: default).")
@click.option(
    "-p",
    "--priority",
    metavar="INT|NAME",
    help="Higher runs first: a number, or low (-10), normal (0), high (10), critical (20). "
    "Default: normal.",
)
@click.option(
    "--max-retries",
    metavar="N",
    help="Retries after the first attempt (default: the setting).",
)
@click.option("--timeout", metavar="DURATION", help="Kill the attempt after this long.")
@click.option("--delay", metavar="DURATION", help="Run no earlier than this long from now.")
@click.option("--run-at", metavar="TIME", help="Run no earlier than this ISO 8601 time.")
@click.option(
    "--expires-in",
    metavar="DURATION",
    help="Cancel it (reason expired) if not started within this long from now.",
)
@click.option(
    "--expires-at",
    metavar="TIME",
    help="Cancel it (reason expired) if not started by this ISO 8601 time.",
)
@click.option("--payload", metavar="JSON", help="JSON value handed to a Python handler.")
@click.option(
    "--after",
    "after",
    multiple=True,
    callback=split_names,
    metavar="ID[,ID]",
    help="Wait for these jobs to complete first (cancelled if one is dead or cancelled).",
)
@click.option(
    "--after-any",
    is_flag=True,
    default=None,
    help="With --after: wait for those jobs to end, whatever the outcome.",
)
@click.option(
    "--unique-key",
    metavar="KEY",
    help="Enqueue only if no job with this key still counts; else print that job's id.",
)
@click.option(
    "--unique-for",
    metavar="DURATION",
    help="With --unique-key: only a job created within this long counts (default: any).",
)
@click.option(
    "--unique-while",
    metavar="STATE[,STATE]",
    help="With --unique-key: the states in which a job counts (default: "
    "pending,waiting,failed,processing).",
)
@click.option(
    "--cwd",
    metavar="DIR",
    help="Run the command in DIR (relative: to this directory). Default: this "
    "directory; none: the worker's.",
)
@click.option(
    "--env",
    "env",
    multiple=True,
    metavar="NAME=VALUE",
    help="Add a variable to the command's environment (repeatable; values are never shown).",
)
@click.option(
    "--jitter/--no-jitter",
    "backoff_jitter",
    default=None,
    help="Wait a random part of each retry's backoff (default: the backoff_jitter setting).",
)
@click.option(
    "--retry-on-exit",
    metavar="CODES",
    help="Retry only for these exit codes, e.g. 75,111; others go to the DLQ "
    "(default: the retry_on_exit setting; none: any).",
)
@click.option(
    "--no-retry-exit",
    metavar="CODES",
    help="Exit codes that go to the DLQ without retrying, e.g. 2,64,127 "
    "(default: the no_retry_exit setting).",
)
@click.option(
    "-f",
    "--file",
    "jobs_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Enqueue every line of a JSON Lines file (- for stdin), all or nothing.",
)
@json_option
@pass_app
def enqueue(
    app: AppContext,
    /,
    job: str | None,
    payload: str | None,
    jobs_file: str | None,
    as_json: bool,
    after: tuple[str, ...] | None,
    after_any: bool | None,
    cwd: str | None,
    env: tuple[str, ...],
    **flags: str | None,
) -> None:
    """Add a job; prints its id.

    \b
    queuectl enqueue '{"id": "job1", "command": "echo hi", "max_retries": 3}'
    queuectl enqueue --command "sleep 2" --priority high --delay 10s --queue emails
    queuectl enqueue --command "make report" --after fetch,clean
    queuectl enqueue --command "send-digest" --expires-in 10m
    queuectl enqueue --command "sync.sh" --unique-key sync --unique-for 1h
    queuectl enqueue --command "./sync.sh" --cwd /srv/app --env TOKEN=s3cret \\
        --no-retry-exit 2,64
    queuectl enqueue --file jobs.jsonl

    A job runs in the directory it was enqueued from unless --cwd says otherwise.
    """
    given: dict[str, Any] = {
        field: value for option, field in FIELD_FLAGS if (value := flags[option]) is not None
    }
    if payload is not None:
        given["payload"] = payload
    if after is not None:
        given["after"] = list(after)
    if after_any is not None:
        given["after_any"] = after_any
    given.update(process_fields(cwd, env))
    if jobs_file is not None:
        if job is not None or given:
            raise click.UsageError("--file cannot be combined with a JSON job or job flags")
        _enqueue_file(app, jobs_file, as_json)
        return
    if job is None and not given:
        raise click.UsageError("give the job as JSON, with --command, or with --file")
    spec = in_directory(_merge(_parse_positional(job) if job is not None else {}, given))
    try:
        jobs = prepare_jobs([spec])  # first: a refused job creates no queue
        done = _queue_for(app, jobs).submit(jobs)
    except QueuectlError as exc:
        raise _relabel(exc, [spec], [""]) from None
    [created], [duplicate] = done.jobs, done.duplicate
    if duplicate:
        _say_duplicate("", jobs[0], created)
    if as_json:
        render.emit_json({**job_view(created), "duplicate": duplicate})
    else:
        click.echo(created.id)


def _say_duplicate(label: str, job: Job, existing: Job) -> None:
    """The note on stderr that ``job`` was not stored: ``existing`` is its duplicate."""
    where = f"{label}: " if label else ""
    click.echo(
        f"{where}duplicate of job {existing.id} ({existing.state.value}, unique key "
        f"{job.unique_key!r}): not enqueued",
        err=True,
    )


def process_fields(cwd: str | None, env: tuple[str, ...]) -> dict[str, Any]:
    """The job fields ``--cwd`` and ``--env`` give: ``cwd`` as an absolute path
    (relative: to the current directory; ``none``: ``None``, the worker's)."""
    given: dict[str, Any] = {}
    if cwd is not None:
        none = cwd.strip().lower() == "none"
        given["cwd"] = None if none else job_process.resolved_cwd(cwd, _here("--cwd"))
    if env:
        given["env"] = job_process.env_from_pairs(env)
    return given


def in_directory(spec: dict[str, Any], label: str = "") -> dict[str, Any]:
    """``spec`` with its ``cwd`` resolved against the current directory, which is the
    default (as pueue does) for a job run in a process of its own that gives none."""
    if "cwd" not in spec:
        job_type = spec.get("type")
        declared = executors.declared(job_type if isinstance(job_type, str) else "shell")
        if declared.in_process:
            return spec
        return {**spec, "cwd": _here(label)}
    cwd = spec["cwd"]
    if isinstance(cwd, str) and cwd and not os.path.isabs(cwd):
        return {**spec, "cwd": job_process.resolved_cwd(cwd, _here(label))}
    return spec


def _here(label: str) -> str:
    """The current directory, or a one-line error when it no longer exists."""
    try:
        return os.getcwd()
    except OSError:
        where = f"{label}: " if label else ""
        raise InvalidJobError(
            f"{where}the current directory no longer exists, so a job cannot run in it: "
            "give --cwd DIR, or --cwd none for the worker's directory"
        ) from None


def _parse_positional(text: str) -> dict[str, Any]:
    if not _is_json(text):
        raise InvalidJobError(
            f'expected a JSON object such as \'{{"command": "echo hi"}}\'; '
            f"to enqueue a shell command use: queuectl enqueue --command {shlex.quote(text)}"
        )
    return parse_json(text)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except RecursionError:
        return True  # JSON nested too deeply: parse_json says so
    except ValueError:
        return text.lstrip().startswith("{")  # a broken object: report the JSON error
    return True


def _queue_for(app: AppContext, jobs: list[Job]) -> Queue:
    """The queue to store ``jobs`` in: created if need be, unless they wait for a job
    outside the batch, which must then exist (no queue: an unknown id)."""
    from queuectl_core.dependencies import outside, unknown

    waited_for = outside(jobs)
    if waited_for is None:
        return app.queue()
    try:
        return app.queue(create=False)
    except NoQueueError:
        raise unknown(jobs, waited_for[1]) from None


def _merge(spec: dict[str, Any], flags: dict[str, Any]) -> dict[str, Any]:
    """The JSON fields with the flags' values on top."""
    merged = dict(spec)
    for pair in WHEN_FIELDS:
        if any(name in flags for name in pair):
            for name in pair:
                merged.pop(name, None)
    merged.update(flags)
    if "payload" in flags:
        merged["payload"] = loads(flags["payload"], "--payload")
    return merged


def _read_text(path: str) -> str:
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        raise click.FileError(path, hint=exc.strerror or str(exc)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJobError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _enqueue_file(app: AppContext, path: str, as_json: bool) -> None:
    specs: list[dict[str, Any]] = []
    labels: list[str] = []
    # split on newlines only: str.splitlines would also break at U+2028 inside strings
    for number, line in enumerate(_read_text(path).split("\n"), 1):
        if line.strip():
            specs.append(parse_json(line, f"line {number}"))
            labels.append(f"line {number}")
    if not specs:
        raise InvalidJobError(f"{path}: no jobs (the file has no non-blank lines)")
    specs = [in_directory(spec, label) for spec, label in zip(specs, labels, strict=True)]
    try:
        jobs = prepare_jobs(specs)  # first: a refused job creates no queue
        done = _queue_for(app, jobs).submit(jobs)
    except QueuectlError as exc:
        raise _relabel(exc, specs, labels) from None
    for job, existing, duplicate, label in zip(
        jobs, done.jobs, done.duplicate, labels, strict=True
    ):
        if duplicate:
            _say_duplicate(label, job, existing)
    if as_json:
        render.emit_json(
            [
                {**job_view(job), "duplicate": duplicate}
                for job, duplicate in zip(done.jobs, done.duplicate, strict=True)
            ]
        )
        return
    skipped = sum(done.duplicate)
    text = f"enqueued {render.plural(len(jobs) - skipped, 'job')}"
    click.echo(f"{text}, {render.plural(skipped, 'duplicate')} skipped" if skipped else text)


def _relabel(exc: QueuectlError, specs: list[dict[str, Any]], labels: list[str]) -> QueuectlError:
    """The error naming the job by ``labels`` (e.g. ``line 3``) instead of ``job N``;
    an empty label drops the prefix."""
    if isinstance(exc, DuplicateJobError):
        for spec, label in zip(specs, labels, strict=True):
            if spec.get("id") == exc.job_id:
                return QueuectlError(f"{label}: {exc}" if label else str(exc))
        return exc
    match = re.match(r"job (\d+): ", str(exc))
    if match is None or not 0 < int(match.group(1)) <= len(labels):
        return exc
    label, rest = labels[int(match.group(1)) - 1], str(exc)[match.end() :]
    return QueuectlError(f"{label}: {rest}" if label else rest)
