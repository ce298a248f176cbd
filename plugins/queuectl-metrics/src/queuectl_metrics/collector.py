"""The metrics as Prometheus families, read from the backend on every collection.

Every value comes from cheap storage calls: per-state counts, the plugin's stats,
the worker registry and one setting. Everything is read before the first family is
built, so a storage error fails the whole collection and never yields half of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from queuectl_core.job import State
from queuectl_core.overview import is_live
from queuectl_core.queue import Queue
from queuectl_metrics.catalog import COUNTERS, HISTOGRAMS, PREFIX, StoredStats, decode

#: The Content-Type of what :func:`exposition` returns.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class Snapshot:
    """What the backend holds at one moment, as the metrics need it."""

    counts: dict[tuple[str, State], int]
    stats: StoredStats
    live_hosts: dict[str, int]  # host -> live workers
    stale_workers: int

    def queues(self) -> list[str]:
        """Queues with jobs now or with counted events, sorted."""
        return sorted({queue for queue, _ in self.counts} | self.stats.queues())


def read_snapshot(queue: Queue) -> Snapshot:
    """Read the counts, stats and workers from the backend."""
    counts = queue.counts()
    stats = decode(queue.storage.stats(PREFIX))
    lease_timeout = float(queue.settings()["lease_timeout"])
    workers = queue.workers()
    now = time.time()
    live_hosts: dict[str, int] = {}
    stale = 0
    for worker in workers:
        if is_live(worker, now, lease_timeout):
            live_hosts[worker.host] = live_hosts.get(worker.host, 0) + 1
        else:
            stale += 1
    return Snapshot(counts, stats, live_hosts, stale)


def families(snapshot: Snapshot) -> list[Metric]:
    """Every metric family of ``snapshot``; every known queue gets every series."""
    queues = snapshot.queues()
    jobs = GaugeMetricFamily(
        "queuectl_jobs", "Jobs in the backend by queue and state.", labels=["queue", "state"]
    )
    for name in queues:
        for state in State:
            jobs.add_metric([name, state.value], snapshot.counts.get((name, state), 0))
    workers = GaugeMetricFamily(
        "queuectl_workers", "Live workers (heartbeat within lease_timeout), on every host."
    )
    workers.add_metric([], sum(snapshot.live_hosts.values()))
    stale = GaugeMetricFamily(
        "queuectl_workers_stale",
        "Registered workers without a heartbeat within lease_timeout (gone without a clean stop).",
    )
    stale.add_metric([], snapshot.stale_workers)
    hosts = GaugeMetricFamily("queuectl_host_workers", "Live workers by host.", labels=["host"])
    for host, count in sorted(snapshot.live_hosts.items()):
        hosts.add_metric([host], count)
    result: list[Metric] = [jobs, workers, stale, hosts]
    for family in COUNTERS:
        counter = CounterMetricFamily(family.name, family.help, labels=["queue"])
        for name in queues:
            counter.add_metric([name], snapshot.stats.counter(family, name))
        result.append(counter)
    for family in HISTOGRAMS:
        histogram = HistogramMetricFamily(family.name, family.help, labels=["queue"])
        for name in queues:
            stored = snapshot.stats.histogram(family, name)
            buckets = [(str(bound), n) for bound, n in stored.cumulative()]
            histogram.add_metric([name], [*buckets, ("+Inf", stored.count)], stored.sum)
        result.append(histogram)
    return result


class QueueCollector(Collector):
    """Collects from the queue ``open_queue()`` returns, reading it afresh each time."""

    def __init__(self, open_queue: Callable[[], Queue]) -> None:
        self.open_queue = open_queue

    def collect(self) -> Iterable[Metric]:
        return families(read_snapshot(self.open_queue()))


def registry_for(open_queue: Callable[[], Queue]) -> CollectorRegistry:
    """A registry holding only the queue's metrics (no process or platform metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector(open_queue))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format (0.0.4) of ``registry``; storage errors propagate."""
    return generate_latest(registry)
