"""One worker process: claim a job, run it, store how it went, repeat.

Run it as ``python -m queuectl_core.worker --worker-id ID [--queues a,b] [--burst]``
(the backend comes through the pipe ``--location-fd`` names, see
:mod:`queuectl_core.handoff`, else from the environment and config file), or build
a :class:`Worker` and call :meth:`Worker.run`.

While its jobs are fast, a worker claims several at once and stores their results
together with the next claims (see :mod:`queuectl_core.worker.prefetch`).

A result the storage refuses (a full disk, an unreachable server) is kept, never
run again: the worker claims nothing more, the heartbeat keeps renewing the job's
lease, and the worker retries storing the result alone, backing off from 0.1 s to
``MAX_BACKOFF``, with one log line when the outage starts and one when it ends. It
stops retrying once stored, once the lease turns out lost (cancelled, or recovered
by another worker after it expired: the job then runs again), or on a forced stop;
a graceful stop waits for the result to be stored.

Stopping: the first SIGTERM, SIGINT or SIGHUP stops claiming and lets the running job
finish (jobs claimed but not started are given back); a second one interrupts the
job, which goes back to pending without using up an attempt (see
:mod:`queuectl_core.worker.stopping`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from queuectl_core import dependencies, events, expiry, progress, retry
from queuectl_core import settings as settings_module
from queuectl_core.executors import declared_by, for_job
from queuectl_core.executors.base import (
    ExecutionContext,
    Executor,
    JobInterrupted,
    interrupted_error,
)
from queuectl_core.host import hostname
from queuectl_core.job import Attempt, AttemptResult, Outcome, WorkerInfo
from queuectl_core.queue import Queue
from queuectl_core.schedules.firer import Firer
from queuectl_core.settings import Settings
from queuectl_core.storage import Claim, ClaimRequest, OutputChunk, Storage, Waiter
from queuectl_core.stored import cannot_run, problem
from queuectl_core.worker import recovery, reporting
from queuectl_core.worker.heartbeat import Heartbeat
from queuectl_core.worker.orphans import Adopted, become_subreaper
from queuectl_core.worker.prefetch import BatchSize, Finished, Held, Holdings
from queuectl_core.worker.stopping import FORCED, Stopper

if TYPE_CHECKING:
    from queuectl_core.config import Location

log = logging.getLogger("queuectl.worker")
T = TypeVar("T")

MAX_BACKOFF = 2.0  # longest pause between tries while the storage is unavailable


class _GiveUp(Exception):
    """The storage is unavailable and the worker is stopping anyway."""


class Worker:
    """Claims and runs jobs until stopped (or, in burst mode, until none is ready)."""

    def __init__(
        self,
        storage: Storage,
        worker_id: str,
        queues: Sequence[str] | None = None,
        burst: bool = False,
        *,
        supervisor_pid: int | None = None,
        subreaper: bool = False,
        location: Location | None = None,
    ) -> None:
        self.storage = storage
        self._queue = Queue(storage, location)  # what firing schedules enqueues through
        #: What the hooks that ask for a queue get: the process's shared queue on
        #: ``location``, or, without one, a queue on ``storage`` (opened on demand).
        self.hook_queue = self._queue.for_hooks
        self.worker_id = worker_id
        self.queues = tuple(queues) if queues else None
        self.burst = burst
        self.supervisor_pid = supervisor_pid  # stop if this parent goes away
        self.settings = Settings({})  # the stored ones are loaded when run() starts
        self.info = WorkerInfo(id=worker_id, host=hostname(), pid=os.getpid())
        self._stopper = Stopper()
        self._waiter: Waiter | None = None
        self._heartbeat: Heartbeat | None = None
        self._storage_failing = False
        self._holdings = Holdings()  # claims waiting to run, results waiting to be stored
        self._batch = BatchSize()
        # As a subreaper (a worker process of its own), jobs' orphans are re-parented to
        # it: they are reaped while it idles. Not for a worker embedded in a program.
        self._subreaper = subreaper
        self._adopted: Adopted | None = None

    # -- the public surface ------------------------------------------------------------

    def run(self) -> int:
        """Work until stopped; returns the exit status (0 after a clean stop)."""
        self._stopper.install()
        if self._subreaper and become_subreaper(True):
            self._adopted = Adopted(self.worker_id)
        heartbeat = self._heartbeat = Heartbeat(
            self.storage, self.worker_id, self, Firer(self._queue)
        )
        status = 1
        try:
            self.settings = self._retrying("loading settings", self._load_settings)
            self._register()
            self._waiter = self.storage.waiter(self.worker_id)
            self._stopper.start_thread(heartbeat.start)
            self._loop()
            status = 0
        except _GiveUp:
            log.error("stopping while the storage is unavailable")
        except Exception:
            log.exception("worker %s failed", self.worker_id)
        finally:
            stopped = heartbeat.stop()
            if self._waiter is not None:
                self._waiter.close()
            self._unregister(clean=status == 0)
            if stopped:  # a still-running heartbeat could poke us after the restore
                self._stopper.restore()
            self._stopper.close()
            if self._adopted is not None:
                become_subreaper(False)
        return status

    def stop(self, force: bool = False) -> None:
        """Stop as the first (or, with ``force``, the second) signal would."""
        self._stopper.request_stop("stop requested")
        if force:
            self._stopper.force_stop()

    def abort_reason(self) -> str | None:
        """Why the running job should stop early, or ``None``."""
        return self._stopper.abort_reason()

    # -- what the heartbeat thread calls -------------------------------------------------

    def leases(self) -> list[Claim]:
        current = self._stopper.current_claim()
        held = self._holdings.claims()
        return held if current is None else [current, *held]

    def abort_job(self, claim: Claim, reason: str) -> None:
        if self._holdings.drop(claim):
            log.warning("job %s: %s; not starting it", claim.job.id, reason)
        elif self._holdings.drop_unstored(claim):
            log.warning(
                "job %s: %s before its result was stored; result discarded", claim.job.id, reason
            )
        else:
            self._stopper.abort_job(claim, reason)

    def request_stop(self, reason: str) -> None:
        self._stopper.request_stop(reason)

    def on_beat(self) -> None:
        self._refresh_settings(self.storage.settings_version())
        if self.supervisor_pid is not None and os.getppid() != self.supervisor_pid:
            self.request_stop("supervisor exited")

    def hand_back_at(self) -> float | None:
        return self._holdings.hand_back_at()

    def hand_back(self) -> None:
        """The running job is slow: store the results of the jobs before it and give
        back those after it, now rather than when it ends. One try; on a storage
        error they are held again and the next try comes later."""
        held, results = self._holdings.take_if_slow(time.monotonic())
        try:
            if results:
                applied, _ = self._finish_and_claim(results, 0)
                self._report(results, applied, retried=False)
                results = []
            if held:
                self._log_given_back(self._release(held), "a slow job")
        except Exception as exc:
            log.warning("cannot hand back the jobs behind a slow one yet: %s", exc)
            self._holdings.put_back(held, results, time.monotonic())

    # -- the loop -----------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopper.stopping:
            held = self._holdings.next()
            if held is None:
                if not self._store(claim_next=True):
                    if self.burst:
                        break
                    self._idle()
            elif held.claim.job.expires_at is not None and self._expired(held.claim):
                continue
            else:
                self._holdings.add_result(self._attempt(held.claim))
                self._give_back(self._holdings.take_held_up(time.monotonic()), "a slow job")
        self._store(claim_next=False)
        self._give_back(self._holdings.take_held(), "stopping")

    def _store(self, claim_next: bool) -> bool:
        """Store the results not stored yet and claim the next jobs (as many as the batch
        size says) in the same step; returns whether it claimed any."""
        results = self._holdings.take_results()
        limit = self._batch.size() if claim_next else 0
        if not results:
            if not limit:
                return False
            applied, claims = self._retrying(
                "claiming a job", lambda: self._finish_and_claim(results, limit)
            )
        else:
            try:
                applied, claims = self._finish_and_claim(results, limit)
            except Exception as exc:
                self._keep_storing(results, exc)
                return True  # stored (or dropped): claim next without idling
        released = self._report(results, applied, retried=False)
        self._holdings.hold(claims, time.monotonic())
        if len(claims) > 1 and self._heartbeat is not None:
            self._heartbeat.wake()  # it hands them back if a job turns out slow
        return bool(claims) or released > 0  # jobs that waited for these may be ready

    def _keep_storing(self, results: Sequence[Finished], error: Exception) -> None:
        """The storage refused ``results``: hold them (the heartbeat renews their
        leases) and store them alone, claiming nothing, until stored, their leases
        lost, or a forced stop (then ``_GiveUp``)."""
        self._storage_failed("storing a result", error)
        self._holdings.keep_unstored(results)

        def store() -> tuple[list[Finished], list[bool]]:
            pending = self._holdings.unstored()
            return pending, self._finish_and_claim(pending, 0)[0] if pending else []

        try:
            pending, applied = self._retrying("storing a result", store, until_forced=True)
        except _GiveUp:
            for finished in self._holdings.unstored():
                log.error("job %s: result not stored, the lease will expire", finished.claim.job.id)
            raise
        held = self._holdings.stored(pending)
        report = [(f, done) for f, done, h in zip(pending, applied, held, strict=True) if h]
        self._report([f for f, _ in report], [done for _, done in report], retried=True)

    def _finish_and_claim(
        self, results: Sequence[Finished], limit: int
    ) -> tuple[list[bool], list[Claim]]:
        now = time.time()
        request = ClaimRequest(
            self.worker_id, self.queues, now, now + self.settings["lease_timeout"], limit
        )
        return self.storage.finish_and_claim_many(
            [finished.finish() for finished in results], request
        )

    def _report(self, results: Sequence[Finished], applied: Sequence[bool], retried: bool) -> int:
        """Log each stored result and emit its lifecycle event, then settle the jobs
        that waited for those that ended; returns how many of these became ready."""
        ended = [
            (finished.claim, finished.transition)
            for finished, done in zip(results, applied, strict=True)
            if done and finished.claim.dependents
        ]
        for finished, done in zip(results, applied, strict=True):
            job_id = finished.claim.job.id
            if not done and (retried or finished.maybe_stored):
                log.info("job %s: result stored before the storage error, or lease lost", job_id)
                continue
            reporting.report(
                finished.claim,
                finished.transition,
                done,
                self._record_of(finished),
                self.settings,
                self.hook_queue,
            )
        if not ended:
            return 0
        return dependencies.after_finishes(
            self.storage, ended, settings=self.settings, hook_queue=self.hook_queue
        )

    def _record_of(self, finished: Finished) -> Callable[[], Attempt]:
        """Builds the history record of a finished attempt, for the lifecycle events."""
        claim, result = finished.claim, finished.result
        started_at = claim.job.updated_at if result.started_at is None else result.started_at
        return lambda: reporting.attempt_record(claim, result, self.worker_id, started_at)

    def _release(self, held: Sequence[Held]) -> list[bool]:
        return self.storage.release([(h.claim.job.id, h.claim.token) for h in held], time.time())

    def _give_back(self, held: Sequence[Held], why: str) -> None:
        """Release claims not started, retrying through storage outages."""
        if not held:
            return
        try:
            released = self._retrying("handing back jobs", lambda: self._release(held))
        except _GiveUp:
            log.error("%d job(s) not handed back, their leases will expire", len(held))
            raise
        self._log_given_back(released, why)

    def _log_given_back(self, released: Sequence[bool], why: str) -> None:
        if any(released):
            log.info("handed back %d claimed job(s) before starting them: %s", sum(released), why)

    def _expired(self, claim: Claim) -> bool:
        """A claimed job past its expiry before its first attempt is not run: cancelled,
        reason ``expired`` (see :mod:`queuectl_core.expiry`). Whether it was."""
        now = time.time()
        if not expiry.claimed_expired(claim, now):
            return False
        try:
            self._retrying(
                "cancelling an expired job",
                lambda: expiry.cancel_claimed(
                    self.storage, claim, now, self.settings, self.hook_queue
                ),
            )
        except _GiveUp:
            log.error("job %s expired but not cancelled: its lease will expire", claim.job.id)
            raise
        return True

    def _attempt(self, claim: Claim) -> Finished:
        """Run one attempt of a claimed job to its end."""
        self._refresh_settings(claim.settings_version)
        settings = self.settings
        with self._stopper.running(claim), self._holdings.running(claim):
            started_at, started = time.time(), time.monotonic()
            if events.has_listeners("job_started"):
                events.job_started(claim.job, claim.attempt, self.info, settings, self.hook_queue)
            result = replace(self._execute(claim, settings), started_at=started_at)
        self._batch.record(time.monotonic() - started)
        transition = retry.decide(claim.job, result, settings)
        return Finished(claim, transition.result, transition)  # its error may say why not retried

    def _execute(self, claim: Claim, settings: Settings) -> AttemptResult:
        job = claim.job
        if cannot_run(job):  # a row written by hand or an older version: never run it
            return AttemptResult(Outcome.FAILED, finished_at=time.time(), error=problem(job))
        timeout = job.timeout if job.timeout is not None else settings["job_timeout"]
        context = ExecutionContext(
            job=job,
            attempt=claim.attempt,
            worker_id=self.worker_id,
            timeout=timeout or None,
            kill_grace=settings["kill_grace"],
            output_limit=settings["output_limit"],
            abort_fd=self._stopper.abort_fd,
            abort_reason=self._stopper.abort_reason,
            live_output=self._live_output(claim, settings["output_limit"]),
            token=claim.token,
            extension=progress.granted_reader(self.storage, job.id, claim.token),
        )
        try:
            executor = for_job(job)
            return self._stopper.run_job(lambda: executor.run(context), runs_in_process(executor))
        except JobInterrupted as exc:  # raised outside the executor's own handling
            return _interrupted(exc.reason or self._stopper.abort_reason() or FORCED)
        except Exception as exc:  # an executor must report, not raise; never die of it
            log.exception("job %s: executor failed", job.id)
            return AttemptResult(
                Outcome.FAILED, finished_at=time.time(), error=f"executor error: {exc}"
            )

    def _live_output(self, claim: Claim, limit: int) -> Callable[[Sequence[OutputChunk]], bool]:
        """What the executor sends the running job's output through: the claim's fenced
        ``append_output``. A storage error loses that chunk of the live view only (the
        result keeps the whole output): logged once per attempt, the job runs on."""
        storage, job_id, token, attempt = self.storage, claim.job.id, claim.token, claim.attempt
        failed = False

        def send(chunks: Sequence[OutputChunk]) -> bool:
            nonlocal failed
            try:
                return storage.append_output(job_id, token, attempt, chunks, limit)
            except Exception as exc:
                if not failed:
                    log.warning("job %s: cannot store its live output: %s", job_id, exc)
                    failed = True
                return True

        return send

    def _idle(self) -> None:
        """Sleep until work may have arrived: a wake-up, the next due job, or poll_interval."""
        if self._adopted is not None:
            self._adopted.sweep()
        timeout = self.settings["poll_interval"]
        try:
            due = self.storage.next_due(self.queues)
        except Exception:  # the next claim reports storage errors
            due = None
        if due is not None:
            timeout = min(timeout, max(due - time.time(), 0.01))
        waiter = self._waiter
        self._stopper.sleep(timeout, waiter.wait if waiter is not None else time.sleep)

    # -- storage calls that survive outages --------------------------------------------------

    def _retrying(self, what: str, call: Callable[[], T], *, until_forced: bool = False) -> T:
        """``call()`` until it succeeds, backing off; raises ``_GiveUp`` once stopping
        (``until_forced``: once a forced stop is asked for)."""
        delay = 0.1
        while True:
            try:
                value = call()
            except Exception as exc:
                self._storage_failed(what, exc)
                if self._stopper.forced if until_forced else self._stopper.stopping:
                    raise _GiveUp from exc
                self._stopper.sleep(delay, time.sleep, until_forced=until_forced)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            if self._storage_failing:
                log.info("storage available again")
                self._storage_failing = False
            return value

    def _storage_failed(self, what: str, exc: Exception) -> None:
        """Log a storage error once per outage."""
        if not self._storage_failing:
            log.error("storage error while %s: %s; retrying", what, exc)
            self._storage_failing = True

    def _load_settings(self) -> Settings:
        return settings_module.load(self.storage)

    def _refresh_settings(self, version: int | None) -> None:
        """Reload the settings if ``version`` (``None``: ask the storage) is not ours."""
        try:
            if version is None:
                version = self.storage.settings_version()
            if version != self.settings.version:
                self.settings = self._load_settings()
        except Exception:  # keep the settings we have; the next job tries again
            log.debug("cannot reload settings", exc_info=True)

    # -- registry --------------------------------------------------------------------------

    def _register(self) -> None:
        now = time.time()
        extra = {"supervisor_pid": self.supervisor_pid} if self.supervisor_pid else {}
        self.info = WorkerInfo(
            id=self.worker_id,
            host=self.info.host,
            pid=self.info.pid,
            queues=self.queues or (),
            started_at=now,
            heartbeat_at=now,
            extra=extra,
        )
        self._retrying("registering", lambda: self.storage.register_worker(self.info))
        queues = ",".join(self.queues) if self.queues else "all queues"
        log.info("started (pid %d, %s)", self.info.pid, queues)
        events.worker_started(self.info, self.settings, self.hook_queue)

    def _unregister(self, clean: bool) -> None:
        try:  # a crash may leave a job leased: hand it on now rather than at lease expiry
            recovery.recover_worker(self.storage, self.worker_id, self.settings, self.hook_queue)
        except Exception as exc:
            log.error("cannot unregister worker %s: %s", self.worker_id, exc)
        if clean:
            log.info("stopped")
            events.worker_stopped(self.info, self.settings, self.hook_queue)


def runs_in_process(executor: Executor) -> bool:
    """Whether the executor runs jobs in the worker's main thread (then a signal stops
    them): what it declares as ``in_process`` (:class:`~queuectl_core.executors.Declared`)."""
    return declared_by(executor).in_process


def _interrupted(reason: str) -> AttemptResult:
    return AttemptResult(
        Outcome.INTERRUPTED, finished_at=time.time(), error=interrupted_error(reason)
    )


def configure_logging(name: str, level: int = logging.INFO) -> None:
    """Log lines as ``<time> <name> <message>`` to stderr (no-op if logging is set up)."""
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format=f"%(asctime)s.%(msecs)03d {name.replace('%', '%%')} %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m queuectl_core.worker``: one worker on the configured backend."""
    parser = argparse.ArgumentParser(prog="python -m queuectl_core.worker")
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--queues", help="comma-separated queue names (default: all)")
    parser.add_argument("--burst", action="store_true", help="exit when no job is ready")
    parser.add_argument("--supervisor-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--location-fd", type=int, help="read the backend location from this fd")
    args = parser.parse_args(argv)
    configure_logging(args.worker_id)
    queues = [name.strip() for name in (args.queues or "").split(",") if name.strip()]

    from queuectl_core import handoff
    from queuectl_core.config import adopted
    from queuectl_core.errors import QueuectlError

    try:
        location = handoff.take(args.location_fd)
        storage = location.open()
    except QueuectlError as exc:
        log.error("%s", exc)
        return 2
    try:
        with adopted(location):
            worker = Worker(
                storage,
                args.worker_id,
                queues or None,
                args.burst,
                supervisor_pid=args.supervisor_pid,
                subreaper=True,
                location=location,
            )
            return worker.run()
    finally:
        storage.close()
