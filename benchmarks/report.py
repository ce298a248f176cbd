"""``docs/benchmarks/README.md`` from ``results.json``: the table, the limits, the method.

Standard library only; :mod:`benchmarks.chart` draws the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmarks import plan

SQLITE, REDIS = plan.QUEUECTL
PEERS = [item.name for item in plan.SYSTEMS if item.name not in plan.QUEUECTL]
DASH = "\u2013"  # an empty cell
TIMES = "\u00d7"
NO_STATUS_COMMAND = plan.system("huey-sqlite").cannot["startup"]


@dataclass(frozen=True)
class Limit:
    """A physical limit: a metric of one :mod:`benchmarks.limits` case."""

    workload: str
    workers: int
    metric: str
    label: str
    short: str  # on the chart


@dataclass(frozen=True)
class Target:
    op: str  # ">=", "<=" or "<"
    value: float

    def met(self, value: float) -> bool:
        if self.op == ">=":
            return value >= self.value
        if self.op == "<=":
            return value <= self.value
        return value < self.value

    def text(self, unit: str) -> str:
        sign = {">=": "≥", "<=": "≤", "<": "<"}[self.op]
        return f"{sign}{self.value:,g}{'%' if unit == '%' else ''}"


@dataclass(frozen=True)
class Row:
    """One row of the table. ``{small}``/``{large}`` in title and metric are the scale
    sizes; ``{n}`` in the title is the workload's N."""

    title: str
    workload: str
    workers: int
    metric: str
    unit: str  # jobs/s, ms, MB or %
    higher_is_better: bool = True
    limits: Mapping[str, Limit] = field(default_factory=dict)  # queuectl system -> limit
    targets: Mapping[str, Target] = field(default_factory=dict)  # queuectl system -> target
    missing: Mapping[str, str] = field(default_factory=dict)  # system -> why no figure
    scale: float = 1.0  # the metric times this is shown


def both(value: Any) -> dict[str, Any]:
    return {SQLITE: value, REDIS: value}


SPAWN_1 = Limit("spawn", 1, "per_s", "spawns of `sh -c true`, 1 process", "spawn")
SPAWN_2 = Limit("spawn", 2, "per_s", "spawns of `sh -c true`, 2 processes", "spawn")
COMMIT = Limit("sqlite_commit", 0, "normal_per_s", "SQLite commits (NORMAL)", "SQLite commit")
COMMIT_FULL = Limit("sqlite_commit", 0, "full_per_s", "SQLite commits (FULL)", "FULL commit")
PING_1 = Limit("redis_roundtrip", 1, "per_s", "Redis round trips, 1 client", "Redis RTT")
PING_2 = Limit("redis_roundtrip", 2, "per_s", "Redis round trips, 2 clients", "Redis RTT")
PYTHON = Limit("python_startup", 0, "ms", "`python -c pass`", "python -c pass")
CLICK = Limit("python_startup", 0, "click_ms", "`python -c 'import click'`", "import click")
REDIS_PY = Limit("python_startup", 0, "redis_ms", "`python -c 'import redis'`", "import redis")
INSERT = Limit(
    "sqlite_insert", 0, "per_s", "SQLite inserts of job rows (executemany)", "SQLite insert"
)
INSERT_BARE = Limit(
    "sqlite_insert", 0, "bare_per_s", "SQLite inserts, minimal rows, no index", "bare insert"
)
HUEY_NO_STATUS = {"huey-sqlite": NO_STATUS_COMMAND, "huey-redis": NO_STATUS_COMMAND}

ROWS = (
    Row(
        "bulk enqueue, library (N={n})",
        "bulk_api",
        0,
        "jobs_per_s",
        "jobs/s",
        limits={SQLITE: INSERT},
        targets={SQLITE: Target(">=", 100_000), REDIS: Target(">=", 50_000)},
    ),
    Row("bulk enqueue, CLI (N={n})", "bulk_cli", 0, "jobs_per_s", "jobs/s"),
    Row("shell `true`, 1 worker (N={n})", "shell", 1, "jobs_per_s", "jobs/s", limits=both(SPAWN_1)),
    Row(
        "shell `true`, 2 workers (N={n})",
        "shell",
        2,
        "jobs_per_s",
        "jobs/s",
        limits=both(SPAWN_2),
        targets={SQLITE: Target(">=", 2_000), REDIS: Target(">=", 1_800)},
    ),
    Row(
        "no-op Python, 1 worker (N={n})",
        "noop",
        1,
        "jobs_per_s",
        "jobs/s",
        limits={SQLITE: COMMIT, REDIS: PING_1},
    ),
    Row(
        "no-op Python, 2 workers (N={n})",
        "noop",
        2,
        "jobs_per_s",
        "jobs/s",
        limits={SQLITE: COMMIT, REDIS: PING_2},
        targets={SQLITE: Target(">=", 8_000), REDIS: Target(">=", 5_000)},
    ),
    Row(
        "scheduling features in use on other jobs ÷ not: no-op Python, 2 workers",
        "features",
        2,
        "noop_ratio",
        "%",
        scale=100,
        targets=both(Target(">=", 90)),
    ),
    Row(
        "scheduling features in use on other jobs ÷ not: shell `true`, 2 workers",
        "features",
        2,
        "shell_ratio",
        "%",
        scale=100,
        targets=both(Target(">=", 90)),
    ),
    Row(
        "pickup latency p50 (N={n}, 20 ms apart)",
        "pickup",
        1,
        "p50_ms",
        "ms",
        higher_is_better=False,
        targets={SQLITE: Target("<=", 10), REDIS: Target("<=", 1.2)},
    ),
    Row("pickup latency p99", "pickup", 1, "p99_ms", "ms", higher_is_better=False),
    Row("claim rate, {small} queued", "scale", 1, "claims_per_s@{small}", "jobs/s"),
    Row("claim rate, {large} queued", "scale", 1, "claims_per_s@{large}", "jobs/s"),
    Row(
        "claim rate at {large} ÷ at {small}",
        "scale",
        1,
        "claim_ratio",
        "%",
        scale=100,
        targets=both(Target(">=", 80)),
    ),
    Row(
        "count via the API, {large} queued",
        "scale",
        1,
        "count_ms@{large}",
        "ms",
        higher_is_better=False,
    ),
    Row(
        "status command, {small} queued",
        "scale",
        1,
        "status_ms@{small}",
        "ms",
        higher_is_better=False,
        missing=HUEY_NO_STATUS,
    ),
    Row(
        "status command, {large} queued",
        "scale",
        1,
        "status_ms@{large}",
        "ms",
        higher_is_better=False,
        missing=HUEY_NO_STATUS,
        targets=both(Target("<", 50)),
    ),
    Row(
        "CLI start-up: status, empty queue",
        "startup",
        0,
        "status_ms",
        "ms",
        higher_is_better=False,
        limits=both(PYTHON),
        targets=both(Target("<", 100)),
    ),
    Row(
        "worker RSS, no-op run, 2 workers",
        "noop",
        2,
        "worker_rss_mb",
        "MB",
        higher_is_better=False,
        targets=both(Target("<", 35)),
    ),
)


# -- reading results ------------------------------------------------------------------------


class Results:
    """``results.json`` with lookups by system, workload, workers and metric."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.suite: Mapping[str, Any] = data["suite"]
        self.entries = {
            (entry["system"], entry["workload"], entry["workers"]): entry
            for entry in data["results"]
        }
        sizes = self.suite["scale_sizes"]
        self.sizes = {"small": sizes[0], "large": sizes[-1]}

    def names(self) -> dict[str, str]:
        return {key: size_text(value) for key, value in self.sizes.items()}

    def metric_name(self, row: Row) -> str:
        return row.metric.format(**self.sizes)

    def title(self, row: Row) -> str:
        n = self.suite["n"].get(row.workload, 0)
        return row.title.format(n=f"{n:,}", **self.names())

    def entry(self, system: str, workload: str, workers: int) -> Mapping[str, Any] | None:
        return self.entries.get((system, workload, workers))

    def value(self, system: str, row: Row) -> float | None:
        entry = self.entry(system, row.workload, row.workers)
        if entry is None:
            return None
        found = entry["metrics"].get(self.metric_name(row))
        return None if found is None else float(found) * row.scale

    def limit(self, limit: Limit) -> float | None:
        entry = self.entry("limits", limit.workload, limit.workers)
        if entry is None or limit.metric not in entry["metrics"]:
            return None
        return float(entry["metrics"][limit.metric])

    def why_missing(self, system: str, row: Row) -> str:
        """Why a cell has no figure: the peer cannot, the runs failed, or it was not run."""
        cannot = self.data.get("cannot", {}).get(system, {})
        if row.workload in cannot:
            return str(cannot[row.workload])
        if system in row.missing:
            return row.missing[system]
        entry = self.entry(system, row.workload, row.workers)
        if entry is None:
            if self.suite["quick"] and row.workers == 1:
                return "a quick run measures 2 workers only"
            return "not run (see --only)"
        if entry["errors"]:
            runs = [run for run in entry["runs"] if "error" in run]
            detail = (runs[0].get("log_tail") or [""])[-1] if runs else ""
            return (
                f"{plan.system(system).label}, {entry['workload']}: error in {len(runs)} of "
                f"{len(entry['runs'])} runs: {entry['errors'][0]}: {detail}"
            )
        return "no figure"

    def cut_short(self, system: str, row: Row) -> int | None:
        """The jobs done when an end-to-end run stopped at the time budget, else None."""
        entry = self.entry(system, row.workload, row.workers)
        if entry is None or row.metric != "jobs_per_s" or "jobs_done" not in entry["metrics"]:
            return None
        done = int(entry["metrics"]["jobs_done"])
        return done if done < entry["n"] else None


def size_text(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return f"{size:,}"


def fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "MB":
        return f"{value:.1f}"
    if unit == "ms":
        if value < 1:
            return f"{value:.3f}"
        return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


# -- the table -----------------------------------------------------------------------------------


class Footnotes:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"

    def render(self) -> str:
        return "\n".join(f"{index}. {text}" for index, text in enumerate(self.texts, 1))


def best_peer(results: Results, row: Row) -> float | None:
    values = [v for v in (results.value(peer, row) for peer in PEERS) if v is not None]
    if not values:
        return None
    return max(values) if row.higher_is_better else min(values)


def ratio(value: float, other: float, higher_is_better: bool) -> float:
    """How many times better ``value`` is than ``other`` (> 1: better)."""
    if value <= 0 or other <= 0:
        return 0.0
    return value / other if higher_is_better else other / value


def short(system: str) -> str:
    return "SQLite" if system == SQLITE else "Redis"


def per_queuectl(parts: Mapping[str, str]) -> str:
    return "<br>".join(f"{short(system)} {text}" for system, text in parts.items()) or DASH


def table(results: Results, notes: Footnotes) -> str:
    systems = [item for item in plan.SYSTEMS]
    header = ["workload", *(item.label for item in systems)]
    header += ["physical limit", "queuectl vs best peer", "queuectl % of limit", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in ROWS:
        unit = row.unit
        cells = [f"{results.title(row)}, {unit}"]
        for item in systems:
            value = results.value(item.name, row)
            if value is None:
                reason = results.why_missing(item.name, row)
                word = "error" if ": error in " in reason else "n/a"
                cells.append(f"{word} {notes.mark(reason)}")
                continue
            cell = fmt(value, unit)
            if results.cut_short(item.name, row) is not None:
                budget = results.suite.get("budget_s", 0)
                cell += " " + notes.mark(
                    f"stopped at the {budget:g} s budget before all N jobs were done: the rate "
                    "is over the jobs done by then (`jobs_done` in results.json)"
                )
            cells.append(cell)
        cells += [limit_cell(results, row), versus_peer(results, row)]
        cells += [of_limit(results, row), target_cell(results, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def limit_cell(results: Results, row: Row) -> str:
    shown: dict[Limit, None] = dict.fromkeys(row.limits.values())
    parts = []
    for limit in shown:
        value = results.limit(limit)
        unit = "ms" if limit.metric == "ms" else "/s"
        number = "?" if value is None else fmt(value, "ms" if unit == "ms" else "jobs/s")
        parts.append(f"{limit.label}: {number}{'' if unit == 'ms' else '/s'}")
    return "<br>".join(parts) or DASH


def versus_peer(results: Results, row: Row) -> str:
    best = best_peer(results, row)
    if best is None or row.unit == "%":
        return DASH
    parts = {}
    for system in plan.QUEUECTL:
        value = results.value(system, row)
        if value is not None:
            parts[system] = f"{TIMES}{ratio(value, best, row.higher_is_better):.2g}"
    return per_queuectl(parts)


def of_limit(results: Results, row: Row) -> str:
    parts = {}
    for system, limit in row.limits.items():
        value, ceiling = results.value(system, row), results.limit(limit)
        if value is not None and ceiling is not None:
            parts[system] = f"{ratio(value, ceiling, row.higher_is_better) * 100:.0f}%"
    return per_queuectl(parts)


def target_cell(results: Results, row: Row) -> str:
    parts = {}
    for system, target in row.targets.items():
        value = results.value(system, row)
        verdict = "?" if value is None else "✓" if target.met(value) else "✗"
        parts[system] = f"{target.text(row.unit)} {verdict}"
    return per_queuectl(parts)


# -- the page --------------------------------------------------------------------------------


def limits_table(results: Results) -> str:
    lines = ["| limit | measured |", "|---|---|"]
    shown = [
        (Limit("spawn", 1, "popen_per_s", "spawn, `subprocess.Popen`, 1 process", ""), "/s"),
        (Limit("spawn", 1, "posix_spawn_per_s", "spawn, `os.posix_spawn`, 1 process", ""), "/s"),
        (Limit("spawn", 2, "popen_per_s", "spawn, `subprocess.Popen`, 2 processes", ""), "/s"),
        (Limit("spawn", 2, "posix_spawn_per_s", "spawn, `os.posix_spawn`, 2 processes", ""), "/s"),
        (COMMIT, "/s"),
        (COMMIT_FULL, "/s"),
        (INSERT, "/s"),
        (INSERT_BARE, "/s"),
        (PING_1, "/s"),
        (PING_2, "/s"),
        (PYTHON, " ms"),
        (CLICK, " ms"),
        (REDIS_PY, " ms"),
    ]
    for limit, suffix in shown:
        value = results.limit(limit)
        unit = "ms" if suffix == " ms" else "jobs/s"
        lines.append(f"| {limit.label} | {'?' if value is None else fmt(value, unit)}{suffix} |")
    return "\n".join(lines)


def machine_section(results: Results) -> str:
    m = results.data["machine"]
    peers = m.get("peers", {})
    rows = [
        ("CPU", f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB"),
        ("OS, kernel", f"{m['os']}, Linux {m['kernel']}"),
        ("Python", m["python"]),
        ("SQLite", m["sqlite"]),
        ("Redis server", m["redis_server"]),
        ("queuectl", m["queuectl"]),
        ("huey", peers.get("huey", "?")),
        ("rq", peers.get("rq", "?")),
        ("redis-py (peers / queuectl)", f"{peers.get('redis', '?')} / {m['redis_py_main']}"),
        ("task-spooler", m["tsp"]),
        ("matplotlib (chart)", peers.get("matplotlib", "?")),
        (
            "load average at start / end",
            f"{', '.join(map(str, m['load_average_at_start']))} / "
            f"{', '.join(map(str, m.get('load_average_at_end', [])))}",
        ),
    ]
    lines = ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    return "\n".join(lines)


def quietness(results: Results) -> str:
    idles = [
        run["idle_before"]
        for entry in results.data["results"]
        for run in entry["runs"]
        if "idle_before" in run
    ]
    if not idles:
        return ""
    noisy = sum(1 for idle in idles if idle < 0.85)
    return (
        f"Before each case the suite waited up to 30 s for the CPUs to be at least 85% idle; "
        f"{noisy} of {len(idles)} runs started on a busier machine (lowest idle share seen: "
        f"{min(idles):.0%})."
    )


def render(data: Mapping[str, Any]) -> str:
    results = Results(data)
    suite = results.suite
    notes = Footnotes()
    body = table(results, notes)
    kind = "quick run" if suite["quick"] else "full run"
    only = f", only {' '.join(suite['only'])}" if suite["only"] else ""
    sizes = " and ".join(f"{size:,}" for size in suite["scale_sizes"])
    budget = suite.get("budget_s", 0)
    return f"""# Benchmarks: queuectl and its peers

Generated by `bash benchmarks/run.sh` ({kind}{only}: medians of {suite["repeat"]} run(s) of
each case, {suite["started"]}, {suite["duration_s"]} s in all). Do not edit: rerun it.
The figures of every run are in [results.json](results.json).

![queuectl and its peers: throughput, latency and status times](chart.png)

Higher is better for jobs/s, lower for ms and MB. "vs best peer" is how many times
better queuectl is than the best peer in that row ({TIMES}2 = twice the throughput or
half the time; below {TIMES}1, a peer does better); "% of limit" is queuectl's figure as a share
of the machine's physical limit measured in the same run (for times: the limit's time
as a share of queuectl's). A cell without a figure says why in the notes below.

{body}

{notes.render()}

What limits each figure, with the profiles behind it (and why a ✗ target is not met
here): [limits.md](limits.md), written by hand from the scripts in
`benchmarks/profiles/`.

## Physical limits (same run)

{limits_table(results)}

queuectl's SQLite backend commits with `synchronous=NORMAL` in WAL mode (its default,
`queuectl_sqlite/options.py`), so its no-op rows are compared with that commit rate;
huey's `SqliteHuey` leaves SQLite's default, `synchronous=FULL` (an fsync per commit),
which the FULL row shows. A no-op job needs at least one commit (SQLite) or one round
trip (Redis).

## Machine and versions

{machine_section(results)}

{quietness(results)}

## Running it

```bash
bash benchmarks/run.sh              # the N below, 3 repeats (~30 min); writes docs/benchmarks/
bash benchmarks/run.sh --quick      # small N, 1 repeat (~2.5 min); writes benchmarks/.results/
bash benchmarks/run.sh --repeat 5 --only queuectl-sqlite huey-sqlite shell noop
bash benchmarks/run.sh --list       # the cases, without running them
```

It needs only Python 3.10+, pip and apt (Debian): it installs the repository's `.venv`
through `scripts/_env.sh` when queuectl or its Redis backend is missing there, the
peers into `benchmarks/.peers/` (uv, versions pinned in
`benchmarks/peers/requirements.txt`), and the Debian packages `redis-server` and
`task-spooler` when their programs are missing. It starts a private `redis-server`
(free port, no persistence) that every Redis case shares and that is flushed before
each case; it never touches the server on port 6379. `--only` takes system names
(`queuectl-sqlite queuectl-redis huey-sqlite huey-redis rq-fork rq-simple tsp`) and
workload names (`bulk_api bulk_cli shell noop pickup scale startup`); `--out DIR`
writes elsewhere. `tests/test_benchmarks_smoke.py` runs queuectl's runners at a tiny
N in the normal test suite, so the code cannot rot.

## Method

{METHOD.format(sizes=sizes, window=suite["scale_window"], budget=budget, **suite["n"])}
"""


METHOD = """\
Every case is one process (`python -m benchmarks.<runner>`) that prints one JSON
result; cases run one after another, each in a fresh directory, with a fresh Redis
(flushed) and fresh workers, and the repeats are interleaved (repeat 1 of every case,
then repeat 2, ...). The table shows medians.

- **Bulk enqueue** ({bulk_api:,} jobs, no workers running): queuectl through the
  Python API, one `Queue.enqueue_many` call; and through the CLI, one
  `queuectl enqueue --file jobs.jsonl` (the process's start-up included). huey has no
  bulk enqueue: the task is called {bulk_api:,} times. rq: one `Queue.enqueue_many`
  (a single pipeline). task-spooler: `tsp sh -c true` per job, each a client
  process, queued behind a running `sleep` so that nothing runs meanwhile, and only
  900 jobs (its server keeps at most 1,000 waiting clients; more would block).
- **Shell jobs** ({shell:,} jobs running `sh -c true`): queuectl's job is
  `{{"command": "true"}}` (its shell executor runs `/bin/sh -c true`); huey and rq run a
  task calling `subprocess.run(["sh", "-c", "true"])`; task-spooler runs
  `tsp sh -c true` with `tsp -S` slots. Workers are started first (queuectl:
  `queuectl worker start --count W`; huey: `huey_consumer -k process -w W`; rq: W
  `rq worker` processes; tsp: `tsp -S W`) and warmed up with 2 jobs per worker; the
  clock runs from the first enqueue (queuectl and rq: one bulk call; huey: one call
  per task; tsp: one client per job, while the slots already run) to the last
  completion, seen by polling every 5 ms: queuectl `Queue.counts()`, rq the
  `FinishedJobRegistry`, huey a byte appended per completed task by a
  `SIGNAL_COMPLETE` handler, tsp `tsp -l` (every 20 ms: each look is a process). A
  run stops counting after {budget:g} s: a system that has not done its N jobs by then
  is measured over the jobs it did (marked in the table).
- **No-op Python jobs** ({noop:,} jobs): queuectl's built-in `noop` handler; huey and
  rq a function that does nothing. Otherwise as shell jobs.
- **Pickup latency** ({pickup:,} jobs, one idle worker, 20 ms apart, one at a time):
  the job returns `time.time()` as it starts (queuectl: a Python job
  `benchmarks.jobs:stamp`; huey, rq: the same function as a task; tsp: the job is
  `date +%s.%N`, so the start of its process); latency is that minus the time taken
  just before the enqueue call. queuectl's attempt `started_at` from storage (the
  claim) gives `claim_p50_ms`/`claim_p99_ms` in results.json.
- **Scale** ({sizes} no-op jobs queued): the queue is filled by the fast path
  (queuectl: `enqueue_many` in batches of 50,000; huey: serialized tasks inserted
  with one `executemany` or `LPUSH` per batch; rq: a Lua script copies the hash of
  one job made by rq under new ids and queues them); then the time of a count
  through the API (queuectl `Queue.counts()`, huey `pending_count()`, rq
  `Queue.count`), the wall time of the status command (`queuectl status`,
  `rq info`), and the rate at which one worker claims and finishes {window:,} jobs
  after its first 100 (polled every 2 ms).
- **CLI start-up** ({startup:,} runs): wall time of `queuectl status` on an empty
  queue, `rq info`, `tsp -l`, against `python -c pass`.
- **Worker RSS**: `VmRSS` from `/proc/<pid>/status` of each worker process at the end
  of the 2-worker no-op run, the largest shown (huey: every child of the consumer,
  its scheduler included; they are forked from the consumer, so part of their pages is
  shared with it).
- **Physical limits**: `sh -c true` spawned in a new session with stdout and stderr
  on pipes, for 2 s from 1 and 2 processes, with `subprocess.Popen` and with
  queuectl's own `executors.spawn` (`os.posix_spawn`, what its workers use); the
  faster of the two is the limit in the table. Single-row `INSERT` transactions
  (`BEGIN IMMEDIATE` ... `COMMIT`) on a WAL database, 2 s each with
  `synchronous=NORMAL` and `FULL`; `PING` round trips on a raw socket from 1 and 2
  processes; `python -c pass`.

Settings: every peer runs with its defaults apart from the number of workers (huey:
`-k process -w W`; rq: `--worker-class rq.worker.SimpleWorker` for that column).
huey on SQLite polls for work (every 0.1 s, backing off by 1.15 up to 10 s when idle)
and commits with `synchronous=FULL`; huey on Redis blocks in `BRPOP`; rq logs every
job (to a file here); tsp writes each job's output to a file in `TMPDIR`. queuectl
runs with its defaults (SQLite `synchronous=NORMAL`; output captured and stored;
every attempt recorded) and with only its storage plugins loaded
(`QUEUECTL_PLUGINS=sqlite,redis`): the repository's other plugins (callback, webhook,
metrics, ...) are installed in its `.venv` but are opt-in, so they are left out.

What is not equal, and what to doubt:

- The systems do different amounts of work per job. queuectl records an attempt
  history, captured output, leases and fencing tokens per job; huey keeps no record of
  a finished task without a result; rq keeps job hashes and result streams; tsp keeps
  its list in memory only (nothing survives its server).
- huey's and tsp's enqueue is one call (or one process) per job while workers already
  run, so on 2 cores the enqueue competes with the workers; queuectl and rq enqueue
  the whole batch in one call.
- huey on SQLite pays an fsync per commit (`synchronous=FULL`, its default) where
  queuectl does not (`NORMAL`: durable across a process crash, not a power loss).
- The pickup figures of tsp include the start of `date`; the others' start inside an
  already running process. rq's forking worker does about 40 jobs/s, fewer than the
  50/s the pickup test offers, so its queue grows during the test: its figure is
  mostly waiting behind earlier jobs, not pickup.
- The physical limits are 2-second loops on a machine that may be shared; a system
  can come out slightly above one (more than 100% of the limit) by noise.
- This machine may be shared: see the idle figure above; the limits measured in the
  same run show how fast it was.
"""
