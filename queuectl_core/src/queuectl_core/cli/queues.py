"""``queuectl queue``: queues as objects: list and show them, pause, resume and limit them."""

from __future__ import annotations

from typing import Any

import click

from queuectl_core import queues as policy
from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.cli.group import CliError, SuggestingGroup
from queuectl_core.job import State
from queuectl_core.units import human_duration


@click.group(cls=SuggestingGroup)
def queue() -> None:
    """Queues: their jobs per state, workers, pauses and limits; pause, resume and
    limit them.

    A queue exists once it has a job or was paused. A pause is stored in the backend:
    workers on every host stop claiming from the queue within a second, jobs already
    running finish, and enqueueing still works.
    """


@queue.command("list")
@json_option
@pass_app
def list_queues(app: AppContext, as_json: bool) -> None:
    """Every queue: jobs per state, paused or not, live workers serving it, and how
    long its longest-waiting ready job has been due."""
    views = policy.views(app.queue(create=False))
    if as_json:
        render.emit_json(views)
        return
    if not views:
        click.echo("no queues")
        return
    states = [state.value for state in State]
    rows: list[list[Any]] = [
        [
            view["name"],
            "paused" if view["paused"] else "active",
            *(view["states"][state] for state in states),
            view["total"],
            "-" if view["concurrency"] is None else view["concurrency"],
            view["live_workers"],
            human_duration(view["oldest_pending_age"]),
        ]
        for view in views
    ]
    headers = ("queue", "status", *states, "total", "limit", "workers", "oldest")
    click.echo(render.table(headers, rows))


@queue.command()
@click.argument("name", metavar="QUEUE")
@json_option
@pass_app
def show(app: AppContext, name: str, as_json: bool) -> None:
    """One queue: jobs per state, its pause, live workers, its longest-waiting job."""
    [view] = policy.views(app.queue(create=False), [name])
    if as_json:
        render.emit_json(view)
        return
    click.echo(
        render.fields(
            [
                ("queue", view["name"]),
                ("status", _status(view)),
                ("jobs", f"{view['total']} ({_counts(view['states'])})"),
                ("limit", _limit(view)),
                ("workers", f"{view['live_workers']} live serving it"),
                ("oldest", _oldest(view)),
            ]
        )
    )


@queue.command()
@click.argument("names", metavar="[QUEUE]...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Pause every queue that exists now.")
@click.option("--reason", metavar="TEXT", help="Why, shown by queue list, status and why.")
@json_option
@pass_app
def pause(
    app: AppContext, names: tuple[str, ...], every: bool, reason: str | None, as_json: bool
) -> None:
    """Stop workers on every host from claiming jobs of QUEUE (running jobs finish;
    enqueueing still works) until queue resume. A queue may be paused before its
    first job."""
    _one_of(names, every)
    policy.check_reason(reason)  # before opening: bad input creates nothing
    for name in names:
        policy.check_name(name)
    queue = app.queue()  # stores: a queue may be paused before anything else exists
    paused = policy.pause(queue, None if every else names, reason)
    _report(queue, paused, as_json, "paused", "no queue to pause")


@queue.command()
@click.argument("names", metavar="[QUEUE]...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Resume every paused queue.")
@json_option
@pass_app
def resume(app: AppContext, names: tuple[str, ...], every: bool, as_json: bool) -> None:
    """Let workers claim jobs of a paused QUEUE again; idle workers wake at once. A
    queue that is not paused is left as it is."""
    _one_of(names, every)
    queue = app.queue(create=False)
    resumed = policy.resume(queue, None if every else names)
    if as_json:
        render.emit_json(policy.views(queue, resumed, strict=False))
        return
    if every:
        click.echo(_said("resumed", resumed) if resumed else "no queue was paused")
        return
    for name in dict.fromkeys(names):
        click.echo(f"resumed queue {name}" if name in resumed else f"queue {name} was not paused")


@queue.command()
@click.argument("name", metavar="QUEUE")
@click.option(
    "--concurrency",
    metavar="N|none",
    required=True,
    help="At most N jobs of QUEUE run at once across every worker and host; none: no limit.",
)
@json_option
@pass_app
def limit(app: AppContext, name: str, concurrency: str, as_json: bool) -> None:
    """Limit how many jobs of QUEUE run at once, across every worker on every host.
    Jobs already running go on; a queue may be limited before its first job."""
    number = policy.parse_concurrency(concurrency)  # before opening: bad input stores nothing
    policy.check_name(name)
    queue = app.queue()  # stores: a queue may be limited before anything else exists
    policy.limit(queue, name, number)
    if as_json:
        render.emit_json(policy.views(queue, [name], strict=False)[0])
    elif number is None:
        click.echo(f"queue {name} has no concurrency limit")
    else:
        click.echo(f"queue {name}: at most {number} jobs at once")


def _one_of(names: tuple[str, ...], every: bool) -> None:
    if every and names:
        raise CliError("give queue names or --all, not both")
    if not every and not names:
        raise CliError("give a queue name (or --all)")


def _report(queue: Any, names: list[str], as_json: bool, verb: str, none: str) -> None:
    if as_json:
        render.emit_json(policy.views(queue, names, strict=False))
    else:
        click.echo(_said(verb, names) if names else none)


def _said(verb: str, names: list[str]) -> str:
    if len(names) == 1:
        return f"{verb} queue {names[0]}"
    return f"{verb} {len(names)} queues: {', '.join(names)}"


def _status(view: dict[str, Any]) -> str:
    if not view["paused"]:
        return "active"
    because = f" ({view['reason']})" if view["reason"] else ""
    return f"paused{because} since {view['paused_at']}"


def _limit(view: dict[str, Any]) -> str:
    if view["concurrency"] is None:
        return "none"
    return f"at most {view['concurrency']} jobs at once ({view['states']['processing']} running)"


def _counts(states: dict[str, int]) -> str:
    shown = [f"{n} {state}" for state, n in states.items() if n]
    return ", ".join(shown) or "none"


def _oldest(view: dict[str, Any]) -> str:
    if view["oldest_due_at"] is None:
        return "no job is due"
    return f"due for {human_duration(view['oldest_pending_age'])} (since {view['oldest_due_at']})"
