"""The counters and histograms, and how their values are named in the backend's stats.

They live in the backend as shared stats (``Storage.add_stats``), one number per name:

- ``metrics:<counter>:<queue>`` for a counter, e.g. ``metrics:queuectl_jobs_enqueued:mail``;
- ``metrics:<histogram>:count:<queue>``, ``...:sum:<queue>`` and ``...:le=<bound>:<queue>``
  for a histogram, where a bucket holds the observations above the next lower bound
  and at most ``bound`` (not cumulative: one observation adds to one bucket).

The queue name comes last because it may itself contain colons. Only the standard
library is imported here: workers load this module.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

PREFIX = "metrics:"


@dataclass(frozen=True)
class Family:
    """A metric as exposed: its name (counters without ``_total``) and help text."""

    name: str
    help: str


ENQUEUED = Family("queuectl_jobs_enqueued", "Jobs enqueued.")
SUCCEEDED = Family("queuectl_jobs_succeeded", "Attempts that succeeded (jobs completed).")
FAILED = Family(
    "queuectl_jobs_failed",
    "Attempts that failed (error exit, exception, timeout or lost worker).",
)
RETRIED = Family("queuectl_jobs_retried", "Failed attempts after which a retry was scheduled.")
DEAD = Family("queuectl_jobs_dead", "Jobs moved to the dead letter queue.")
CANCELLED = Family("queuectl_jobs_cancelled", "Jobs cancelled.")
COUNTERS = (ENQUEUED, SUCCEEDED, FAILED, RETRIED, DEAD, CANCELLED)

DURATION = Family("queuectl_job_duration_seconds", "Duration of attempts that succeeded or failed.")
QUEUE_WAIT = Family(
    "queuectl_job_queue_wait_seconds",
    "Time from when a job was due (its run_at, enqueue or retry time) to the start of its attempt.",
)
HISTOGRAMS = (DURATION, QUEUE_WAIT)

#: Upper bounds (seconds) of the histogram buckets: 1 ms to 1 h.
BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
)  # fmt: skip

_COUNTER_NAMES = {family.name for family in COUNTERS}
_HISTOGRAM_NAMES = {family.name for family in HISTOGRAMS}


def counted(family: Family, queue: str, amount: float = 1.0) -> dict[str, float]:
    """The stats deltas for ``amount`` more of counter ``family`` in ``queue``."""
    return {f"{PREFIX}{family.name}:{queue}": amount}


def observed(family: Family, queue: str, seconds: float) -> dict[str, float]:
    """The stats deltas for one observation of ``seconds`` in histogram ``family``."""
    seconds = max(0.0, seconds)
    stem = f"{PREFIX}{family.name}"
    deltas = {f"{stem}:count:{queue}": 1.0, f"{stem}:sum:{queue}": seconds}
    index = bisect_left(BUCKETS, seconds)  # the first bound >= seconds
    if index < len(BUCKETS):
        deltas[f"{stem}:le={BUCKETS[index]:g}:{queue}"] = 1.0
    return deltas


@dataclass
class Histogram:
    """One histogram series as stored: count, sum and non-cumulative buckets."""

    count: float = 0.0
    sum: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound -> observations

    def cumulative(self) -> list[tuple[float, float]]:
        """(bound, observations at most bound) for every bound, ascending; no +Inf."""
        total = 0.0
        rows = []
        for bound in sorted(set(BUCKETS).union(self.buckets)):
            total += self.buckets.get(bound, 0.0)
            rows.append((bound, total))
        return rows


@dataclass
class StoredStats:
    """The plugin's stats decoded: counters and histograms by (family name, queue)."""

    counters: dict[tuple[str, str], float] = field(default_factory=dict)
    histograms: dict[tuple[str, str], Histogram] = field(default_factory=dict)

    def queues(self) -> set[str]:
        """Every queue that has a stored value."""
        return {queue for _, queue in [*self.counters, *self.histograms]}

    def counter(self, family: Family, queue: str) -> float:
        return self.counters.get((family.name, queue), 0.0)

    def histogram(self, family: Family, queue: str) -> Histogram:
        return self.histograms.get((family.name, queue)) or Histogram()


def decode(stats: Mapping[str, float]) -> StoredStats:
    """Sort ``Storage.stats(PREFIX)`` into counters and histograms; unknown names are
    skipped (e.g. written by a newer version of the plugin)."""
    decoded = StoredStats()
    for key, value in stats.items():
        if not key.startswith(PREFIX):
            continue
        name, _, rest = key[len(PREFIX) :].partition(":")
        if name in _COUNTER_NAMES and rest:
            decoded.counters[(name, rest)] = value
        elif name in _HISTOGRAM_NAMES:
            _add_histogram_value(decoded, name, rest, value)
    return decoded


def _add_histogram_value(decoded: StoredStats, name: str, rest: str, value: float) -> None:
    series, _, queue = rest.partition(":")
    if not queue:
        return
    histogram = decoded.histograms.setdefault((name, queue), Histogram())
    if series == "count":
        histogram.count = value
    elif series == "sum":
        histogram.sum = value
    elif series.startswith("le="):
        try:
            bound = float(series[3:])
        except ValueError:
            return
        histogram.buckets[bound] = histogram.buckets.get(bound, 0.0) + value
