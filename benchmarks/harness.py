"""What every runner shares: its command line, its one JSON result, timing and processes.

Standard library only: the peers' runners import it from their own environment.
A runner measures one system on one workload and prints one JSON object as the last
line of its stdout (progress goes to stderr)::

    python -m benchmarks.queuectl_runner --system queuectl-sqlite --workload shell \\
        --n 2000 --workers 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
POLL = 0.005  # seconds between completion checks
WARMUP_PER_WORKER = 2  # jobs run (and not counted) before a throughput run starts
DEFAULT_TIMEOUT = 600.0  # seconds any one wait may take before the run fails
SCALE_SKIP = 100  # scale: completions left out at the start of a claim window
STALL = 20.0  # scale: seconds without a completion that fail a claim window

Metrics = dict[str, float]


@dataclass(frozen=True)
class Case:
    """What a runner is asked to measure."""

    system: str
    workload: str
    n: int  # jobs (pickup: jobs enqueued; startup: runs)
    workers: int
    scratch: Path  # a fresh directory of this run's own
    redis_url: str | None
    sizes: tuple[int, ...]  # scale: queue lengths to measure at
    window: int  # scale: jobs per claim-rate window
    interval: float  # pickup: seconds between enqueues
    budget: float  # throughput: stop counting after this many seconds

    @property
    def warmup(self) -> int:
        return WARMUP_PER_WORKER * max(1, self.workers)

    def need_redis(self) -> str:
        if not self.redis_url:
            raise SystemExit(f"{self.system} needs --redis-url")
        return self.redis_url


Workload = Callable[[Case], Metrics]


def parse_case(
    argv: Sequence[str] | None, systems: Sequence[str], workloads: Sequence[str]
) -> Case:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--system", required=True, choices=systems)
    parser.add_argument("--workload", required=True, choices=workloads)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scratch", type=Path, help="directory for files (default: a temp dir)")
    parser.add_argument("--redis-url")
    parser.add_argument("--sizes", default="10000,1000000", help="scale: comma-separated")
    parser.add_argument("--window", type=int, default=2000)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args(argv)
    sizes = tuple(int(text) for text in args.sizes.split(","))
    if args.workload == "scale" and min(sizes) < SCALE_SKIP + args.window:
        parser.error(f"--sizes must each hold at least {SCALE_SKIP} + --window jobs")
    return Case(
        system=args.system,
        workload=args.workload,
        n=args.n,
        workers=args.workers,
        scratch=args.scratch or Path(tempfile.mkdtemp(prefix="qbench-")),
        redis_url=args.redis_url,
        sizes=sizes,
        window=args.window,
        interval=args.interval,
        budget=args.budget,
    )


def main(
    workloads: Mapping[str, Workload],
    systems: Sequence[str],
    argv: Sequence[str] | None = None,
) -> int:
    """Run the asked workload and print its result as one JSON line."""
    case = parse_case(argv, systems, list(workloads))
    case.scratch.mkdir(parents=True, exist_ok=True)
    # SIGTERM (the suite's timeout) unwinds like an exception: workers get stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    try:
        metrics = workloads[case.workload](case)
    except Exception:
        traceback.print_exc()
        return 1
    result = {
        "system": case.system,
        "workload": case.workload,
        "n": case.n,
        "workers": case.workers,
        "metrics": metrics,
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(result), flush=True)
    return 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- time ---------------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], bool],
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = POLL,
) -> float:
    """Poll until ``predicate()`` holds; return ``time.perf_counter()`` at that moment."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.perf_counter()
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def end_to_end(
    case: Case, enqueue: Callable[[], object], done: Callable[[], int], poll: float = POLL
) -> Metrics:
    """Jobs per second from the first enqueue to the last of ``case.n`` completions,
    or to the end of ``case.budget`` seconds if that comes first (a slow system is cut
    short: ``jobs_done`` then says how many it finished)."""
    target = done() + case.n
    started = time.perf_counter()
    enqueue()
    deadline = started + case.budget
    while True:
        count, now = done(), time.perf_counter()
        if count >= target or now >= deadline:
            break
        time.sleep(poll)
    finished = case.n - max(0, target - count)
    return {"jobs_per_s": finished / (now - started), "jobs_done": finished}


def claim_window(
    done: Callable[[], int], opens_at: int, window: int, interval: float = 0.002
) -> float:
    """Jobs per second over ``window`` completions, from the first moment ``done()``
    reaches ``opens_at`` (so that a worker's start-up is left out)."""
    first: tuple[int, float] | None = None
    last_change = (-1, time.monotonic())
    while True:
        count, now = done(), time.perf_counter()
        if first is None and count >= opens_at:
            first = (count, now)
        if first is not None and count >= first[0] + window:
            return (count - first[0]) / (now - first[1])
        if count != last_change[0]:
            last_change = (count, time.monotonic())
        elif time.monotonic() - last_change[1] > STALL:
            raise RuntimeError(
                f"completions stopped at {count} (window from {opens_at}, {window} jobs): "
                "did the queue run dry? use larger sizes"
            )
        time.sleep(interval)


def paced(count: int, interval: float) -> Iterator[int]:
    """Yield 0..count-1, each at its own tick ``interval`` seconds apart."""
    start = time.perf_counter()
    for index in range(count):
        delay = start + index * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield index


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` 0.5 for p50, 0.99 for p99)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_metrics(delays_s: Sequence[float], prefix: str = "") -> Metrics:
    millis = [delay * 1000 for delay in delays_s]
    return {
        f"{prefix}p50_ms": statistics.median(millis),
        f"{prefix}p99_ms": percentile(millis, 0.99),
    }


def median_wall_ms(
    command: Sequence[str], runs: int, env: Mapping[str, str] | None = None
) -> float:
    """Median wall time of running ``command`` to completion (output discarded)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            list(command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {result.returncode}: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
    return statistics.median(times) * 1000


def median_call_ms(call: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# -- processes ----------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    """The process's resident set (VmRSS) in MiB, or ``None`` if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def children(pid: int) -> list[int]:
    """The direct children of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def rss_metrics(pids: Sequence[int]) -> Metrics:
    sizes = [size for size in map(rss_mb, pids) if size is not None]
    return {"worker_rss_mb": max(sizes)} if sizes else {}


class Processes:
    """Long-running processes of one run (workers, consumers), each in a session of its
    own; whatever still runs at exit is stopped: SIGTERM to its group, then SIGKILL."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, command: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with open(log_path, "ab") as output:
            process = subprocess.Popen(
                list(command),
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Signal every process (not its group: a consumer stops its children itself),
        wait, then kill the groups of what is left."""
        for process in self.started:
            if process.poll() is None:
                process.send_signal(sig)
        deadline = time.monotonic() + timeout
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
        self.kill()

    def kill(self) -> None:
        for process in self.started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.started = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def write_json_lines(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    """One JSON object per line (the job files of ``queuectl enqueue --file``)."""
    with open(path, "w") as handle:
        handle.writelines(json.dumps(record) + "\n" for record in records)
