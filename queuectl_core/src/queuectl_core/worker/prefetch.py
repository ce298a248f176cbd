"""Prefetch: while its jobs are fast, a worker claims and stores several at once.

Claiming a job and storing its result each cost a write transaction (SQLite) or a
round trip (Redis), far more than a job that takes microseconds. So a worker
measures its attempts, and while they are fast it claims a batch of jobs in one
storage call, runs them one after another, and stores all their results together
with the next batch's claims (``Storage.finish_and_claim_many``).

The batch size is ``BUDGET / d`` (between 1 and ``MAX_BATCH``), ``d`` a moving
average of recent attempts' wall times, so a batch runs for about ``BUDGET`` and no
job waits long behind the others. Before the first attempt, and while jobs take
longer than ``BUDGET / 2``, it is 1: claim one, run it, store it with the next
claim, as without prefetch.

A job can turn out slow with claims waiting behind it. Once a job has run longer
than ``HOLD_LIMIT``, the worker's heartbeat thread gives back (``Storage.release``)
the held jobs for any worker to take, and stores the results of the jobs that ran
before it (:class:`Holdings` is shared by both threads). Should the heartbeat not
get to it, the worker's loop gives back the held jobs after an attempt that left
them waiting longer than ``HOLD_LIMIT``: a held job that waited that long never
starts.

Results the storage refused (a full disk, an unreachable server) are kept as
*unstored* until a retry stores them: their leases are renewed like the others',
and a lost lease drops one (see :mod:`queuectl_core.worker.loop`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from queuectl_core.job import AttemptResult
from queuectl_core.storage import Claim, Finish, Transition

#: Seconds of work a batch aims at: the longest a fast job waits behind its batch.
BUDGET = 0.020
#: The most claims a worker holds at once.
MAX_BATCH = 64
#: Seconds a held job may wait for its turn before it is given back unstarted.
HOLD_LIMIT = 0.100
#: Weight of the newest attempt in the moving average of attempt times.
SMOOTHING = 0.3
#: Seconds to wait after a failed hand-back (the storage is down) before the next.
RETRY_AFTER = 1.0


class BatchSize:
    """How many jobs to claim at once, from a moving average of attempt wall times."""

    def __init__(self) -> None:
        self.average: float | None = None  # seconds; None before the first attempt

    def record(self, seconds: float) -> None:
        """Count one attempt that took ``seconds``."""
        if self.average is None:
            self.average = seconds
        else:
            self.average += SMOOTHING * (seconds - self.average)

    def size(self) -> int:
        if self.average is None:
            return 1
        return max(1, int(BUDGET / max(self.average, BUDGET / MAX_BATCH)))


@dataclass(frozen=True)
class Held:
    """A claimed job waiting for its turn."""

    claim: Claim
    since: float  # time.monotonic() when it was claimed


@dataclass(frozen=True)
class Finished:
    """An attempt that ended; its transition is still to be stored."""

    claim: Claim
    result: AttemptResult  # its started_at is the attempt's real start
    transition: Transition
    maybe_stored: bool = False  # a call that stored it may have failed only afterwards

    def finish(self) -> Finish:
        """What ``Storage.finish_and_claim_many`` takes."""
        return self.claim.job.id, self.claim.token, self.transition


class Holdings:
    """What a worker holds besides the job it runs: claims waiting to run, results
    waiting to be stored. Shared by the worker's loop and its heartbeat thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: deque[Held] = deque()
        self._results: list[Finished] = []
        self._unstored: list[Finished] = []  # refused by the storage, retried alone
        self._running: Claim | None = None
        self._running_since = 0.0  # time.monotonic()
        self._retry_at = 0.0  # no hand-back before this (one failed)

    # -- the worker's loop -------------------------------------------------------------------

    def hold(self, claims: Iterable[Claim], since: float) -> None:
        with self._lock:
            self._held.extend(Held(claim, since) for claim in claims)

    def next(self) -> Held | None:
        """The next held job to run (no longer held), or ``None``."""
        with self._lock:
            return self._held.popleft() if self._held else None

    def take_held(self) -> list[Held]:
        """Every held job (to give back), no longer held."""
        with self._lock:
            return self._take_held()

    def take_held_up(self, now: float) -> list[Held]:
        """Every held job (to give back) if the next one has waited longer than
        ``HOLD_LIMIT`` (a job before it was slow), else none."""
        with self._lock:
            if self._held and now - self._held[0].since > HOLD_LIMIT:
                return self._take_held()
            return []

    def _take_held(self) -> list[Held]:
        held = list(self._held)
        self._held.clear()
        return held

    @contextlib.contextmanager
    def running(self, claim: Claim) -> Iterator[None]:
        """While ``claim``'s job runs (a hand-back waits until it has run ``HOLD_LIMIT``)."""
        with self._lock:
            self._running, self._running_since = claim, time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._running = None

    def add_result(self, finished: Finished) -> None:
        with self._lock:
            self._results.append(finished)

    def take_results(self) -> list[Finished]:
        """Every result waiting to be stored (to store now), no longer held."""
        with self._lock:
            results, self._results = self._results, []
            return results

    def keep_unstored(self, results: Iterable[Finished]) -> None:
        """Hold results the storage refused until :meth:`stored` (leases renewed)."""
        with self._lock:
            self._unstored.extend(results)

    def unstored(self) -> list[Finished]:
        """The refused results still held: their leases were not lost meanwhile."""
        with self._lock:
            return list(self._unstored)

    def stored(self, results: Sequence[Finished]) -> list[bool]:
        """Stop holding ``results`` (a call stored them); whether each was still held,
        not dropped meanwhile (its lease lost): those are the ones to report."""
        done = {id(f) for f in results}
        with self._lock:
            held = {id(f) for f in self._unstored}
            self._unstored = [f for f in self._unstored if id(f) not in done]
        return [id(f) in held for f in results]

    # -- the heartbeat thread ----------------------------------------------------------------

    def claims(self) -> list[Claim]:
        """The claims held besides the running one: their leases must be renewed too."""
        with self._lock:
            return [held.claim for held in self._held] + [
                f.claim for f in (*self._results, *self._unstored)
            ]

    def drop(self, claim: Claim) -> bool:
        """Stop holding a job that waits (its lease is gone); whether it was held."""
        with self._lock:
            for held in self._held:
                if held.claim is claim:
                    self._held.remove(held)
                    return True
            return False

    def drop_unstored(self, claim: Claim) -> bool:
        """Stop holding an unstored result (its lease is gone); whether it was held."""
        with self._lock:
            kept = [f for f in self._unstored if f.claim is not claim]
            dropped = len(kept) < len(self._unstored)
            self._unstored = kept
            return dropped

    def hand_back_at(self) -> float | None:
        """When (``time.monotonic()``) to look whether the running job is slow, if
        anything waits behind it."""
        with self._lock:
            if not self._held and not self._results:
                return None
            since = self._running_since if self._running is not None else time.monotonic()
            return max(since + HOLD_LIMIT, self._retry_at)

    def take_if_slow(self, now: float) -> tuple[list[Held], list[Finished]]:
        """Everything held, if the running job has run longer than ``HOLD_LIMIT``."""
        with self._lock:
            if self._running is None or now < max(self._running_since + HOLD_LIMIT, self._retry_at):
                return [], []
            results, self._results = self._results, []
            return self._take_held(), results

    def put_back(self, held: Sequence[Held], results: Sequence[Finished], now: float) -> None:
        """Hold again what a failed hand-back took, in front; try again after a while."""
        with self._lock:
            self._held.extendleft(reversed(held))
            self._results[:0] = [replace(f, maybe_stored=True) for f in results]
            self._retry_at = now + RETRY_AFTER
