"""task-spooler's side: ``tsp`` queues commands for a per-user server with N slots.

Each ``tsp COMMAND`` is a client process that the server keeps until the job ends (it
forks into the background and runs the command itself when a slot frees), so every
enqueue is a fork and every queued job a waiting process; the server holds at most
``TS_MAXCONN`` (1,000) of them. Shell jobs are ``tsp sh -c true`` (tsp runs its
arguments without a shell; ``sh -c true`` is exactly what queuectl's job runs). Output
goes to files in ``TMPDIR`` (tsp's default). Every run has a server of its own
(``TS_SOCKET`` in the run's scratch directory), killed at the end.

    benchmarks/.peers/bin/python -m benchmarks.peers.tsp_runner --system tsp \\
        --workload shell --n 2000 --workers 2
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from benchmarks import harness
from benchmarks.harness import Case, Metrics

TSP = shutil.which("tsp") or "tsp"
SYSTEMS = ("tsp",)
SHELL_JOB = ("sh", "-c", "true")
MAX_QUEUED = 900  # below TS_MAXCONN (1,000): more queued clients block the enqueue
UNFINISHED = ("running", "queued", "allocating")
POLL = 0.02  # seconds between `tsp -l` checks: each is a process, so not too often


class Spooler:
    """A private tsp server (its own socket and output directory)."""

    def __init__(self, case: Case) -> None:
        output = case.scratch / "out"
        output.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "TS_SOCKET": str(case.scratch / "tsp.sock"),
            "TMPDIR": str(output),
        }
        self.added = 0

    def tsp(self, *args: str) -> str:
        result = subprocess.run(
            [TSP, *args], env=self.env, stdin=subprocess.DEVNULL, capture_output=True
        )
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise RuntimeError(f"tsp {' '.join(args)} exited {result.returncode}: {message}")
        return result.stdout.decode()

    def add(self, *command: str) -> int:
        """Queue a command; returns its job id."""
        job_id = int(self.tsp(*command))
        self.added += 1
        return job_id

    def finished(self) -> int:
        """How many of the jobs added have ended (one ``tsp -l``)."""
        states = [line.split()[1] for line in self.tsp("-l").splitlines()[1:]]
        return self.added - sum(1 for state in states if state in UNFINISHED)

    def wait_all(self) -> None:
        self.tsp("-w")  # the last job added; then any other still running
        harness.wait_until(lambda: self.finished() == self.added, "every tsp job", interval=POLL)

    @contextmanager
    def server(self, slots: int) -> Iterator[Spooler]:
        self.tsp("-S", str(slots))  # starts the server
        try:
            yield self
        finally:
            self.tsp("-K")


def bulk_cli(case: Case) -> Metrics:
    """Queue ``tsp sh -c true`` behind a blocking job, so that nothing runs meanwhile.

    At most ``MAX_QUEUED`` jobs: beyond ``TS_MAXCONN`` queued clients tsp blocks."""
    count = min(case.n, MAX_QUEUED)
    spooler = Spooler(case)
    with spooler.server(1):
        blocker = spooler.add("sleep", "600")
        started = time.perf_counter()
        for _ in range(count):
            spooler.add(*SHELL_JOB)
        elapsed = time.perf_counter() - started
        spooler.tsp("-k", str(blocker))
    return {"jobs_per_s": count / elapsed, "n_used": count}


def shell(case: Case) -> Metrics:
    """N ``sh -c true`` jobs with ``tsp -S W``, from the first enqueue to the last end."""
    spooler = Spooler(case)
    with spooler.server(case.workers):
        for _ in range(case.warmup):
            spooler.add(*SHELL_JOB)
        spooler.wait_all()

        def enqueue() -> None:
            for _ in range(case.n):
                spooler.add(*SHELL_JOB)

        return harness.end_to_end(case, enqueue, spooler.finished, poll=POLL)


def pickup(case: Case) -> Metrics:
    """One slot; each job is ``date +%s.%N``: the time its process started, roughly."""
    spooler = Spooler(case)
    with spooler.server(1):
        sent = []
        for _ in harness.paced(case.n, case.interval):
            enqueued_at = time.time()
            sent.append((spooler.add("date", "+%s.%N"), enqueued_at))
        spooler.wait_all()
        delays = []
        for job_id, at in sent:
            path = spooler.tsp("-o", str(job_id)).strip()
            with open(path) as output:
                delays.append(float(output.read()) - at)
    return harness.latency_metrics(delays)


def startup(case: Case) -> Metrics:
    """Wall time of ``tsp -l`` (N runs; it starts no interpreter)."""
    spooler = Spooler(case)
    with spooler.server(1):
        return {"status_ms": harness.median_wall_ms([TSP, "-l"], case.n, spooler.env)}


WORKLOADS = {
    "bulk_cli": bulk_cli,
    "shell": shell,
    "pickup": pickup,
    "startup": startup,
}

if __name__ == "__main__":
    sys.exit(harness.main(WORKLOADS, SYSTEMS))
