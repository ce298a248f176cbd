"""``queuectl status``: job counts per state and queue, workers, backend."""

from __future__ import annotations

import time
from typing import Any

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.job import State, WorkerInfo
from queuectl_core.serialize import worker_view

ALL_QUEUES = "(all)"


def is_live(worker: WorkerInfo, now: float, lease_timeout: float) -> bool:
    """Whether the worker sent a heartbeat within the lease timeout."""
    return now - worker.heartbeat_at <= lease_timeout


@click.command()
@json_option
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Job counts per state and queue, workers, backend."""
    queue = app.queue()
    per_queue: dict[str, dict[State, int]] = {}
    for (queue_name, state), count in queue.counts().items():
        counts = per_queue.setdefault(queue_name, dict.fromkeys(State, 0))
        counts[state] += count
    totals = {state.value: sum(counts[state] for counts in per_queue.values()) for state in State}
    now = time.time()
    lease_timeout = float(queue.settings()["lease_timeout"])
    workers = queue.workers()
    live = [is_live(worker, now, lease_timeout) for worker in workers]
    backend = app.location().backend
    where = queue.storage.describe()
    if as_json:
        render.emit_json(
            {
                "backend": backend,
                "location": where,
                "states": totals,
                "total": sum(totals.values()),
                "queues": {
                    name: {state.value: count for state, count in counts.items()}
                    for name, counts in sorted(per_queue.items())
                },
                "live_workers": sum(live),
                "workers": [
                    {**worker_view(worker), "live": alive}
                    for worker, alive in zip(workers, live, strict=True)
                ],
            }
        )
        return
    stale = len(workers) - sum(live)
    click.echo(
        render.fields(
            [
                ("backend", f"{backend} ({where})"),
                ("workers", f"{sum(live)} live" + (f", {stale} stale" if stale else "")),
                ("jobs", sum(totals.values())),
            ]
        )
    )
    click.echo()
    rows: list[list[Any]] = [
        [name, *(counts[state] for state in State), sum(counts.values())]
        for name, counts in sorted(per_queue.items())
    ]
    rows.append([ALL_QUEUES, *totals.values(), sum(totals.values())])
    click.echo(render.table(("queue", *(state.value for state in State), "total"), rows))
