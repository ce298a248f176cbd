"""Queues as objects: what ``queuectl queue list`` and ``queue show`` show, and the
policy of pausing, resuming and limiting them (the backend enforces a pause and a
concurrency limit in its claim, see :class:`~queuectl_core.storage.QueueControls`).

A queue exists when it has jobs (in any state) or a stored control (a pause, a limit).
Everything here is built from cheap calls: per-state counts, the stored controls, the
worker registry, and one index seek per queue for its longest-waiting job.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from queuectl_core import limits
from queuectl_core.errors import InvalidQueueError, NoSuchQueueError
from queuectl_core.job import State, WorkerInfo
from queuectl_core.jobspec import is_queue_name
from queuectl_core.overview import is_live
from queuectl_core.storage import QueueControl
from queuectl_core.units import iso

if TYPE_CHECKING:
    from queuectl_core.queue import Queue

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_name(name: str) -> str:
    """``name`` if it is a valid queue name, else ``InvalidQueueError``."""
    if not is_queue_name(name):
        raise InvalidQueueError(
            f"queue name {limits.shown(name)} is invalid: expected 1-{limits.QUEUE_LENGTH} "
            f"{limits.QUEUE_CHARACTERS} (starting with a letter or digit)"
        )
    return name


def check_reason(reason: str | None) -> str | None:
    """A pause's reason, stripped (blank: none); one line of at most
    ``limits.PAUSE_REASON_LENGTH`` characters, else ``InvalidQueueError``."""
    if reason is None or not reason.strip():
        return None
    reason = reason.strip()
    if len(reason) > limits.PAUSE_REASON_LENGTH:
        raise InvalidQueueError(
            f"a pause reason is at most {limits.PAUSE_REASON_LENGTH} characters, got {len(reason)}"
        )
    if _CONTROL.search(reason):
        raise InvalidQueueError("a pause reason is one line without control characters")
    return reason


def parse_concurrency(text: str) -> int | None:
    """``--concurrency``: a whole number in ``limits.QUEUE_CONCURRENCY``, or ``none``
    (no limit); else ``InvalidQueueError``."""
    raw = text.strip()
    if raw.lower() == "none":
        return None
    low, high = limits.QUEUE_CONCURRENCY
    if not re.fullmatch(r"[0-9]{1,30}", raw) or not low <= int(raw) <= high:
        raise InvalidQueueError(
            f"--concurrency {limits.shown(text)}: expected a whole number "
            f"between {low} and {high}, or none"
        )
    return int(raw)


def limit(queue: Queue, name: str, concurrency: int | None) -> None:
    """Allow at most ``concurrency`` jobs of queue ``name`` to run at once across every
    worker and host (``None``: no limit). Any valid name: a limit makes a queue exist."""
    queue.storage.limit_queue(check_name(name), concurrency)


def known(queue: Queue) -> list[str]:
    """Every queue that exists: with jobs, or with a stored control; by name."""
    names = {name for name, _ in queue.counts()} | set(queue.storage.queue_controls())
    return sorted(names)


def pause(queue: Queue, names: Sequence[str] | None, reason: str | None) -> list[str]:
    """Pause queues ``names`` (any valid name: a queue may be paused before its first
    job), or every existing queue (``None``); returns the queues paused."""
    reason = check_reason(reason)
    chosen = known(queue) if names is None else [check_name(name) for name in names]
    chosen = list(dict.fromkeys(chosen))
    if chosen:
        queue.storage.pause_queues(chosen, reason, time.time())
    return chosen


def resume(queue: Queue, names: Sequence[str] | None) -> list[str]:
    """Resume queues ``names`` (``None``: every paused queue); returns those that were
    paused. A name that is no queue at all raises ``NoSuchQueueError``, nothing resumed."""
    if names is not None:
        names = list(dict.fromkeys(check_name(name) for name in names))
        existing = set(known(queue))
        for name in names:
            if name not in existing:
                raise NoSuchQueueError(name)
    return queue.storage.resume_queues(names)


def views(
    queue: Queue, names: Sequence[str] | None = None, *, strict: bool = True
) -> list[dict[str, Any]]:
    """The queues ``names`` (``None``: every queue) in their JSON shape (see
    docs/json.md); ``NoSuchQueueError`` for a name that is no queue, unless not
    ``strict`` (then it is shown empty: a queue just resumed, that had no jobs)."""
    counts = queue.counts()
    controls = queue.storage.queue_controls()
    existing = sorted({name for name, _ in counts} | set(controls))
    if names is None:
        chosen = existing
    else:
        chosen = [check_name(name) for name in names]
        for name in chosen:
            if strict and name not in existing:
                raise NoSuchQueueError(name)
    if not chosen:
        return []
    now = time.time()
    due = queue.storage.due_since(chosen)
    live = _live_workers(queue, now)
    return [
        _view(
            name,
            {state: counts.get((name, state), 0) for state in State},
            controls.get(name, QueueControl(name)),
            sum(1 for worker in live if serves(worker, name)),
            due.get(name),
            now,
        )
        for name in chosen
    ]


def serves(worker: WorkerInfo, name: str) -> bool:
    """Whether ``worker`` claims from queue ``name`` (no queues: every queue) and was
    not asked to stop."""
    return not worker.stop_requested and (not worker.queues or name in worker.queues)


def at_limit(control: QueueControl, running: int) -> str:
    """``queue Q is at its concurrency limit (N running)``."""
    return f"queue {control.queue} is at its concurrency limit ({running} running)"


def paused_since(control: QueueControl, when: Callable[[float], str | None] = iso) -> str:
    """``queue Q is paused (reason) since T``: the words ``why`` and ``status`` use."""
    because = f" ({control.reason})" if control.reason else ""
    since = f" since {when(control.paused_at)}" if control.paused_at is not None else ""
    return f"queue {control.queue} is paused{because}{since}"


def _live_workers(queue: Queue, now: float) -> list[WorkerInfo]:
    workers = queue.workers()
    if not workers:
        return []
    lease_timeout = float(queue.settings()["lease_timeout"])
    return [worker for worker in workers if is_live(worker, now, lease_timeout)]


def _view(
    name: str,
    counts: dict[State, int],
    control: QueueControl,
    live_workers: int,
    due: float | None,
    now: float,
) -> dict[str, Any]:
    waiting = due is not None and due <= now
    return {
        "name": name,
        "states": {state.value: n for state, n in counts.items()},
        "total": sum(counts.values()),
        "paused": control.paused,
        "reason": control.reason,
        "paused_at": iso(control.paused_at),
        "concurrency": control.concurrency,
        "live_workers": live_workers,
        "oldest_due_at": iso(due) if waiting else None,
        "oldest_pending_age": round(now - due, 3) if waiting and due is not None else None,
    }
