"""The names of a namespace's keys.

Every key starts with ``{<prefix>}:``: the braces make the prefix the key's hash
tag, so the whole namespace lives in one Redis Cluster slot and every multi-key
script runs unchanged on a cluster. The Lua scripts build the same names from the
namespace they receive (see ``lua/lib.lua``); this module names them for the
Python side.
"""

from __future__ import annotations

from queuectl_core.job import State


class Keys:
    """Key names of one namespace."""

    def __init__(self, prefix: str) -> None:
        self.namespace = "{" + prefix + "}"
        ns = self.namespace
        self.seq = f"{ns}:seq"  # the enqueue-order counter: routes every script call
        self.all_jobs = f"{ns}:jobs"  # every job id, scored by seq
        self.counts = f"{ns}:counts"  # "<queue>\0<state>" -> number of jobs
        self.queues = f"{ns}:queues"  # every queue name ever used
        self.scheduled = f"{ns}:scheduled"  # waiting jobs not yet due, by next_run_at
        self.leases = f"{ns}:leases"  # processing job ids, by lease expiry
        self.unsettled = f"{ns}:unsettled"  # ended jobs whose dependents are not settled
        self.expiring = f"{ns}:expiring"  # ids of jobs enqueued with an expiry, by expires_at
        self.settings = f"{ns}:settings"  # name -> value
        self.settings_version = f"{ns}:settings_version"
        self.stats = f"{ns}:stats"  # plugin counters: name -> number
        self.paused = f"{ns}:paused"  # paused queue -> {"reason", "paused_at"} as JSON
        self.limits = f"{ns}:limits"  # queue -> its concurrency limit
        self.workers = f"{ns}:workers"  # registered worker ids
        self.wake = f"{ns}:wake"  # pub/sub channel: a job became ready
        self.worker_order = f"{ns}:worker_order"  # counts worker registrations, never deleted
        self.created = f"{ns}:created"  # when ``queuectl init`` made the namespace
        self.schedules = f"{ns}:schedules"  # every schedule's name
        self.schedules_due = f"{ns}:schedules_due"  # names of unpaused ones, by next_run_at
        #: Keys never deleted, of which any one means the namespace exists: ``init`` (or
        #: a saved schedule), an enqueue, a saved setting, a registered worker, plugin
        #: statistics.
        self.markers = (
            self.created,
            self.seq,
            self.settings_version,
            self.worker_order,
            self.stats,
        )

    def job(self, job_id: str) -> str:
        return f"{self.namespace}:job:{job_id}"

    def attempt(self, job_id: str, number: int) -> str:
        return f"{self.namespace}:attempt:{job_id}:{number}"

    def ready(self, queue: str) -> str:
        """Due jobs of a queue: score ``-priority``, member due time + seq + id."""
        return f"{self.namespace}:ready:{queue}"

    def waiting(self, queue: str) -> str:
        """Ready jobs of a queue (due or not), by ``next_run_at``."""
        return f"{self.namespace}:waiting:{queue}"

    def by_state(self, state: State) -> str:
        return f"{self.namespace}:state:{state.value}"

    def by_queue(self, queue: str) -> str:
        return f"{self.namespace}:queue:{queue}"

    def ended(self, state: State) -> str:
        """Jobs in a final state, by when they got there (retention purges)."""
        return f"{self.namespace}:ended:{state.value}"

    def by_state_and_queue(self, state: State, queue: str) -> str:
        return f"{self.namespace}:sq:{state.value}:{queue}"

    def dependents(self, job_id: str) -> str:
        """The ids of the jobs that wait for this one (``after``)."""
        return f"{self.namespace}:dependents:{job_id}"

    def held(self, worker_id: str) -> str:
        """The ids of the jobs a worker holds."""
        return f"{self.namespace}:held:{worker_id}"

    def worker(self, worker_id: str) -> str:
        return f"{self.namespace}:worker:{worker_id}"

    def schedule(self, name: str) -> str:
        """A schedule's hash: definition, next_run_at, last_run_at, last_job_id."""
        return f"{self.namespace}:schedule:{name}"
