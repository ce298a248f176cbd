"""What the suite runs: the systems, the workloads at their N, and what a peer cannot do.

Standard library only (the chart, drawn in the peers' environment, reads it too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class System:
    """One column of the table: a queue and the runner module that drives it."""

    name: str
    label: str
    runner: str  # module run with ``python -m``
    environment: str  # "main" (the repo's .venv) or "peers" (benchmarks/.peers)
    cannot: Mapping[str, str] = field(default_factory=dict)  # workload -> why not


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    n_full: int
    n_quick: int
    workers: tuple[int, ...] = (0,)  # 0: no workers involved

    def n(self, quick: bool) -> int:
        return self.n_quick if quick else self.n_full

    def worker_counts(self, quick: bool) -> tuple[int, ...]:
        """A quick run measures only the largest worker count (the one with targets)."""
        return self.workers[-1:] if quick else self.workers


@dataclass(frozen=True)
class Case:
    """One runner invocation."""

    system: System
    workload: str
    workers: int
    n: int

    @property
    def key(self) -> str:
        return f"{self.system.name}/{self.workload}/{self.workers}"


#: Rows that measure queuectl against itself.
_QUEUECTL_ONLY = {
    "features": "queuectl with and without its scheduling features in use: no peer has them all",
}
_HUEY_CANNOT = {
    **_QUEUECTL_ONLY,
    "bulk_cli": "huey has no command that enqueues: tasks are enqueued from Python",
    "startup": "huey has no status command (its only command is the consumer)",
}
_RQ_CANNOT = {
    **_QUEUECTL_ONLY,
    "bulk_cli": "`rq enqueue` takes one job per call, each a Python start-up: no bulk path",
}
_RQ_FORK_CANNOT = {
    **_RQ_CANNOT,
    "scale": "not run: the same queue as rq SimpleWorker, and a fork per job (see the "
    "no-op rows) would be all this row measured",
    "startup": "the same `rq info` as the rq SimpleWorker column",
}
_TSP_CANNOT = {
    **_QUEUECTL_ONLY,
    "bulk_api": "task-spooler has no library: the `tsp` command is its client (CLI row)",
    "noop": "task-spooler runs commands only: no in-process handlers",
    "scale": "each queued job is a waiting client process: tsp queues at most "
    "TS_MAXCONN (1,000) jobs",
}

SYSTEMS = (
    System("queuectl-sqlite", "queuectl SQLite", "benchmarks.queuectl_runner", "main"),
    System("queuectl-redis", "queuectl Redis", "benchmarks.queuectl_runner", "main"),
    System("huey-sqlite", "huey SQLite", "benchmarks.peers.huey_runner", "peers", _HUEY_CANNOT),
    System("huey-redis", "huey Redis", "benchmarks.peers.huey_runner", "peers", _HUEY_CANNOT),
    System("rq-fork", "rq (fork)", "benchmarks.peers.rq_runner", "peers", _RQ_FORK_CANNOT),
    System("rq-simple", "rq SimpleWorker", "benchmarks.peers.rq_runner", "peers", _RQ_CANNOT),
    System("tsp", "task-spooler", "benchmarks.peers.tsp_runner", "peers", _TSP_CANNOT),
)
LIMITS = System("limits", "physical limit", "benchmarks.limits", "main")
QUEUECTL = ("queuectl-sqlite", "queuectl-redis")

WORKLOADS = (
    Workload("bulk_api", "bulk enqueue, library", 20_000, 2_000),
    Workload("bulk_cli", "bulk enqueue, CLI", 20_000, 2_000),
    Workload("shell", "shell `true`, end to end", 3_000, 300, (1, 2)),
    Workload("noop", "no-op Python, end to end", 8_000, 1_000, (1, 2)),
    Workload("features", "throughput with scheduling features in use", 8_000, 1_000, (2,)),
    Workload("pickup", "pickup latency, idle worker", 200, 30, (1,)),
    Workload("scale", "claims and status with jobs queued", 0, 0, (1,)),
    Workload("startup", "CLI start-up", 20, 5),
)
#: Seconds after which an end-to-end run stops counting (a slow system does fewer jobs).
BUDGET = {False: 12.0, True: 4.0}
SCALE_SIZES = {False: (10_000, 1_000_000), True: (10_000, 100_000)}
SCALE_WINDOW = {False: 2_000, True: 500}
PICKUP_INTERVAL = 0.02

#: The physical limits: (workload, workers) of benchmarks.limits.
LIMIT_CASES = (
    ("spawn", 1),
    ("spawn", 2),
    ("sqlite_commit", 0),
    ("sqlite_insert", 0),
    ("redis_roundtrip", 1),
    ("redis_roundtrip", 2),
    ("python_startup", 0),
)


def workload(name: str) -> Workload:
    return next(item for item in WORKLOADS if item.name == name)


def system(name: str) -> System:
    return next(item for item in (*SYSTEMS, LIMITS) if item.name == name)


def cases(quick: bool, only: Sequence[str] = ()) -> list[Case]:
    """Every runner invocation of one repeat, limits first.

    ``only`` keeps the systems and workloads it names (a system alone keeps all its
    workloads; a workload alone keeps it for every system); the limits always run.
    """
    names = set(only)
    known = {item.name for item in (*SYSTEMS, *WORKLOADS)}
    unknown = sorted(names - known)
    if unknown:
        known_text = ", ".join(sorted(known))
        raise ValueError(f"unknown system or workload {unknown[0]!r}; known: {known_text}")
    systems = [item for item in SYSTEMS if item.name in names] or list(SYSTEMS)
    workloads = [item for item in WORKLOADS if item.name in names] or list(WORKLOADS)
    planned = [Case(LIMITS, name, workers, 0) for name, workers in LIMIT_CASES]
    for each in workloads:
        for item in systems:
            if each.name in item.cannot:
                continue
            planned += [Case(item, each.name, w, each.n(quick)) for w in each.worker_counts(quick)]
    return planned
