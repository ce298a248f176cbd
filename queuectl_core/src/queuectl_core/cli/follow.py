"""``queuectl logs ID --follow``: print a running attempt's output as it is written.

The worker stores what a running shell job prints in chunks (see
:class:`~queuectl_core.executors.output.LiveOutput`); this polls the job's history and
prints the bytes not printed yet. A stream keeps only its tail: bytes cut before they
were seen are reported, as ``logs`` reports them, and skipped. When the attempt ends,
the rest of its final output is printed and the exit status says how it ended.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import click

from queuectl_core.errors import QueuectlError
from queuectl_core.job import FINAL_STATES, Attempt, Outcome
from queuectl_core.queue import Queue

#: Seconds between two reads of the job's output.
POLL = 0.25


@dataclass
class Printer:
    """Prints the new bytes of one stream of an attempt to ``out``."""

    stream: str  # "stdout" or "stderr"
    out: BinaryIO
    seen: int = field(default=0)  # bytes of the stream accounted for: printed or reported cut

    def show(self, attempt: Attempt) -> None:
        data: bytes = getattr(attempt, self.stream)
        dropped: int = getattr(attempt, f"{self.stream}_dropped")
        fresh = dropped + len(data) - self.seen
        if fresh <= 0:
            return
        if fresh > len(data):  # cut from the tail before this saw it
            missed = fresh - len(data)
            click.echo(f"[{missed} earlier bytes of {self.stream} were not kept]", err=True)
            fresh = len(data)
        self.out.write(data[len(data) - fresh :])
        self.out.flush()
        self.seen = dropped + len(data)


def follow(
    queue: Queue,
    job_id: str,
    number: int | None,
    streams: Sequence[str],
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Print attempt ``number`` (``None``: the latest, or the first to start) of
    ``job_id`` as it grows, until it ends; returns the exit status: 0 if it succeeded,
    1 otherwise (also for a job that ended without running)."""
    sys.stdout.flush()
    outs = {"stdout": sys.stdout.buffer, "stderr": sys.stderr.buffer}
    if streams == ["stderr"]:  # the one stream asked for goes to stdout, as ``logs`` prints it
        outs["stderr"] = sys.stdout.buffer
    printers = [Printer(name, outs[name]) for name in streams]
    while True:
        attempts = queue.attempts(job_id)
        attempt = _pick(job_id, attempts, number)
        if attempt is None:  # not started yet
            job = queue.get(job_id)
            if job.state in FINAL_STATES:
                click.echo(f"[job {job_id} is {job.state.value}; it never ran]", err=True)
                return 1
        else:
            number = attempt.number
            for printer in printers:
                printer.show(attempt)
            if attempt.outcome is not Outcome.RUNNING:
                return _ended(attempt)
        sleep(POLL)


def _pick(job_id: str, attempts: Sequence[Attempt], number: int | None) -> Attempt | None:
    if number is None:
        return attempts[-1] if attempts else None
    for attempt in attempts:
        if attempt.number == number:
            return attempt
    if attempts and attempts[-1].number > number:  # never made: the numbers have no gaps
        raise QueuectlError(f"job {job_id!r} has no attempt {number}")
    return None


def _ended(attempt: Attempt) -> int:
    if attempt.outcome is Outcome.SUCCEEDED:
        return 0
    why = f": {attempt.error}" if attempt.error else ""
    click.echo(f"[attempt {attempt.number} {attempt.outcome.value}{why}]", err=True)
    return 1
