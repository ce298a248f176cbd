"""The Redis storage backend: one namespace shared by workers on many hosts.

Every change that touches more than one key is one Lua script (:mod:`.scripts`),
so it is atomic; every key of a namespace shares one hash tag (:mod:`.keys`), so
the same scripts run on Redis Cluster. Times are the ``now`` values callers pass,
never the server's clock. Durability is the server's: with AOF
(``appendfsync everysec``) a crash loses at most the last second of changes;
:meth:`RedisStorage.warnings` says when the server persists nothing at all.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis.exceptions as rx

from queuectl_core import stored
from queuectl_core.errors import (
    DuplicateJobError,
    InvalidStateError,
    NoSuchJobError,
    StorageError,
)
from queuectl_core.host import hostname
from queuectl_core.job import (
    CANCELLABLE,
    FINAL_STATES,
    Attempt,
    Job,
    Progress,
    State,
    WorkerInfo,
    new_token,
)
from queuectl_core.progress import to_text as progress_text
from queuectl_core.storage import (
    CANCELLED,
    BatchFirstStorage,
    Claim,
    ClaimRequest,
    DependentMove,
    Finish,
    OutputChunk,
    QueueControl,
    Transition,
    UniqueCheck,
    Waiter,
    due_by,
)
from queuectl_redis import codec, records
from queuectl_redis.codec import optional, pairs
from queuectl_redis.connection import connect, errors
from queuectl_redis.keys import Keys
from queuectl_redis.options import RedisOptions, parse_options, redact
from queuectl_redis.schedules import RedisSchedules
from queuectl_redis.scripts import BATCH, Scripts
from queuectl_redis.wakeup import PubSubWaiter

#: The fields of a job in ``enqueue``'s arguments, in order (see ``lua/enqueue.lua``).
_FIELD_NAMES = json.dumps(codec.JOB_FIELDS)
#: A finish that applied, in ``finish_and_claim``'s answer (a byte of ``b"1"``/``b"0"``).
_APPLIED = ord("1")
#: What a state queuectl does not know counts as when a person acts on a job by id.
_UNKNOWN_AS = stored.PLACEHOLDER_STATE.value


class RedisStorage(RedisSchedules, BatchFirstStorage):
    """A queue namespace in one Redis (or Redis Cluster), shared by many hosts."""

    def __init__(self, client: Any, prefix: str = "queuectl", *, location: str = "redis") -> None:
        """Use ``client`` (redis-py, ``decode_responses=False``) for namespace ``prefix``."""
        self.client = client
        self.keys = Keys(prefix)
        self.location = location
        self._where = f"{location} (prefix {prefix})"
        self._scripts = Scripts(client, self.keys.namespace, self.keys.seq)
        self._warnings: list[str] | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> RedisStorage:
        """Connect as backend options (text values, as configured) say."""
        parsed: RedisOptions = parse_options(options)
        return cls(connect(parsed), parsed.prefix, location=redact(parsed.url))

    def exists(self) -> bool:
        """Whether anything was ever stored in the namespace: ``queuectl init``, a job
        enqueued, a setting saved, a worker registered or plugin statistics added
        (see ``Keys.markers``)."""
        with errors(self.location):
            return bool(self.client.exists(*self.keys.markers))

    def initialize(self) -> None:
        with errors(self.location):
            self.client.set(self.keys.created, repr(time.time()), nx=True)

    def _run(self, name: str, *args: str | bytes | int | float) -> Any:
        with errors(self.location):
            return self._scripts(name, *args)

    # -- jobs -----------------------------------------------------------------

    def enqueue(
        self, jobs: Sequence[Job], unique: Mapping[str, UniqueCheck] | None = None
    ) -> dict[str, str]:
        rows: list[list[Any]] = []
        for job in jobs:
            ready = int(due_by(job.next_run_at, job.created_at))  # due when made: ready at once
            rows.append([ready, *codec.job_values(job)])
        if not jobs:
            return {}
        call = new_token()  # the call's id: a retry is no duplicate
        args: list[str | bytes] = [call, _FIELD_NAMES, _json(rows)]
        extra = records.enqueue(jobs, unique)
        if extra is not None:
            args.append(records.encoded(extra))
        answer = self._run("enqueue", *args)
        if answer[0] == b"dup":
            raise DuplicateJobError(answer[1].decode())
        if answer[0] == b"missing":
            raise NoSuchJobError(stored.text(answer[1]))
        if len(answer) == 1:
            return {}
        pairs_found = answer[1:]  # position in the batch, existing id, ...
        return {
            jobs[int(pairs_found[i]) - 1].id: stored.text(pairs_found[i + 1])
            for i in range(0, len(pairs_found), 2)
        }

    def get(self, job_id: str) -> Job:
        with errors(self.location):
            fields = self.client.hgetall(self.keys.job(job_id))
        if not fields:
            raise NoSuchJobError(job_id)
        return codec.job_from_fields(fields)

    def attempts(self, job_id: str) -> list[Attempt]:
        found = self._run("attempts", job_id)
        if found is None:
            raise NoSuchJobError(job_id)
        return [
            codec.attempt_from_fields(job_id, number, pairs(flat))
            for number, flat in enumerate(found, start=1)
        ]

    def list_jobs(
        self,
        *,
        states: Sequence[State] | None = None,
        queues: Sequence[str] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Job]:
        if limit <= 0 or (states is not None and not states) or (queues is not None and not queues):
            return []
        keys = self.keys
        if states is None and queues is None:
            indexes = [keys.all_jobs]
        elif queues is None:
            indexes = [keys.by_state(State(s)) for s in _distinct(states or ())]
        elif states is None:
            indexes = [keys.by_queue(queue) for queue in _distinct(queues)]
        else:
            indexes = [
                keys.by_state_and_queue(State(s), queue)
                for s in _distinct(states)
                for queue in _distinct(queues)
            ]
        found = self._run("list_jobs", max(0, offset), limit, *indexes)
        return [codec.job_from_fields(pairs(flat)) for flat in found]

    def counts(self) -> dict[tuple[str, State], int]:
        with errors(self.location):
            raw = self.client.hgetall(self.keys.counts)
        counts: dict[tuple[str, State], int] = {}
        for field, number in raw.items():
            queue, _, state = field.decode().rpartition("\0")
            if int(number) > 0:
                counts[queue, State(state)] = int(number)
        return counts

    def next_due(self, queues: Sequence[str] | None = None) -> float | None:
        due = self._run("next_due", *_queue_args(queues))
        return None if due is None else float(due)

    # -- leases ----------------------------------------------------------------

    def renew(self, job_id: str, token: str, lease_until: float) -> bool:
        return bool(self._run("renew", stored.raw(job_id), token, repr(float(lease_until))))

    def append_output(
        self, job_id: str, token: str, attempt: int, chunks: Sequence[OutputChunk], limit: int
    ) -> bool:
        call = records.output_call(job_id, token, attempt, chunks, limit)
        return bool(self._run("append_output", *call))

    # -- what a running attempt reports ------------------------------------------------

    def set_progress(self, job_id: str, token: str, progress: Progress) -> bool:
        record = records.progress(job_id, token, progress_text(progress))
        return bool(self._run("set_progress", records.encoded(record)))

    def extend_timeout(
        self, job_id: str, token: str, seconds: float, maximum: float
    ) -> float | None:
        record = records.extension(job_id, token, seconds, maximum)
        total = self._run("extend_timeout", records.encoded(record))
        return None if total is None else float(total)

    def finish(
        self,
        job_id: str,
        token: str,
        transition: Transition,
        *,
        expired_by: float | None = None,
    ) -> bool:
        call = records.finish_call([(job_id, token, transition)], expired_by)
        return bool(self._run("finish", *call))

    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        worker_id, queues, limit = request.worker_id, request.queues, request.limit
        if queues is not None and not queues:
            limit = 0
        if not finished and limit < 1:
            return [], []
        token = new_token()
        call = records.finish_call(finished, None, records.claim(request, limit, token))
        applied, version, claimed = self._run("finish_and_claim", *call)
        now, lease_until = float(request.now), float(request.lease_until)
        claims = [
            Claim(
                codec.claimed_job(values, attempts, worker_id, now, lease_until),
                f"{token}.{n}",
                number,
                int(version),
                dependents=bool(dependents),
            )
            for n, (number, attempts, dependents, *values) in enumerate(
                codec.claimed_rows(claimed), start=1
            )
        ]
        return [done == _APPLIED for done in applied], claims

    def release(self, held: Sequence[tuple[str, str]], now: float) -> list[bool]:
        if not held:
            return []
        flat = [stored.raw(value) for pair in held for value in pair]
        released = self._run("release", records.encoded(records.release(now)), *flat)
        return [bool(done) for done in released]

    def expired(self, now: float, limit: int = 100) -> list[Claim]:
        if limit <= 0:
            return []
        return _held(self._run("expired", repr(float(now)), limit))

    def leased_by(self, worker_id: str) -> list[Claim]:
        claims = _held(self._run("leased_by", worker_id))
        return [claim for claim in claims if claim.job.worker_id == worker_id]

    # -- a person's operations ---------------------------------------------------

    def cancel(self, job_id: str, now: float, reason: str = CANCELLED) -> Job:
        cancel = records.cancel(job_id, now, reason, _UNKNOWN_AS)
        answer = self._run("cancel", records.encoded(cancel))
        _raise_refusal(answer, "cancelled", CANCELLABLE)
        return codec.job_from_fields(pairs(answer[1]))

    def expire(self, now: float, reason: str, limit: int = 100) -> list[Job]:
        if limit < 1:
            return []
        answer = self._run("expire", records.encoded(records.expire(now, reason, limit)))
        return [codec.job_from_fields(pairs(flat)) for flat in answer]

    def retry_dead(self, job_ids: Sequence[str] | None, now: float) -> list[str]:
        retry = records.encoded(records.retry(now, _UNKNOWN_AS))
        if job_ids is not None:
            ids = _distinct(job_ids)
            if not ids:
                return []
            answer = self._run("retry_dead", retry, *ids)
            _raise_refusal(answer, "retried", [State.DEAD])
            return ids
        retried: list[str] = []
        while True:
            batch = [stored.text(job_id) for job_id in self._run("retry_dead", retry)[1]]
            retried += batch
            if len(batch) < BATCH:
                return retried

    def purge(
        self,
        states: Sequence[State],
        job_ids: Sequence[str] | None = None,
        *,
        updated_before: float | None = None,
        limit: int | None = None,
    ) -> int:
        names = [State(state).value for state in _distinct(states)]
        if job_ids is not None:
            ids = _distinct(job_ids)
            if not ids:
                return 0
            answer = self._run("purge", "ids", _UNKNOWN_AS, len(names), *names, *ids)
            _raise_refusal(answer, "purged", names)
            return int(answer[1])
        cutoff = optional(None if updated_before is None else repr(float(updated_before)))
        deleted = 0
        if limit is not None:  # ended jobs, longest ago first: P:ended:<state> (lua/lib.lua)
            for state in names:
                if deleted >= limit or State(state) not in FINAL_STATES:
                    continue
                answer = self._run("purge", "oldest", state, cutoff, str(limit - deleted))
                deleted += int(answer[1])
            return deleted
        for state in names:
            cursor: str | bytes = "0"
            while True:
                _, number, seen, cursor = self._run("purge", "state", state, cursor, cutoff)
                deleted += int(number)
                if int(seen) < 2 * BATCH:
                    break
        return deleted

    # -- dependencies ---------------------------------------------------------------

    def dependents(self, job_ids: Sequence[str]) -> dict[str, list[Job]]:
        ids = _distinct(job_ids)
        if not ids:
            return {}
        found: dict[str, list[Job]] = {}
        for raw_id, hashes in self._run("dependents", *map(stored.raw, ids)):
            waiting = sorted((pairs(flat) for flat in hashes), key=lambda f: int(f[b"seq"]))
            found[stored.text(raw_id)] = [codec.job_from_fields(fields) for fields in waiting]
        return found

    def unsettled(self, limit: int = 100) -> list[str]:
        if limit <= 0:
            return []
        with errors(self.location):
            found = self.client.srandmember(self.keys.unsettled, limit)
        return [stored.text(job_id) for job_id in found]

    def settle(
        self, job_id: str, seen: State, moves: Sequence[DependentMove], now: float
    ) -> list[bool] | None:
        answer = self._run("settle", records.encoded(records.settle(job_id, seen, moves, now)))
        if answer is None:
            return None
        return [done == _APPLIED for done in answer[0]]

    # -- runtime settings ----------------------------------------------------------

    def load_settings(self) -> tuple[dict[str, str], int]:
        version, flat = self._run("load_settings")
        values = {stored.text(name): stored.text(value) for name, value in pairs(flat).items()}
        return values, int(version)

    def save_setting(self, name: str, value: str | None) -> None:
        self._run("save_setting", name, optional(value))

    def settings_version(self) -> int:
        with errors(self.location):
            return int(self.client.get(self.keys.settings_version) or 0)

    # -- queue controls ------------------------------------------------------------------

    def queue_controls(self) -> dict[str, QueueControl]:
        with errors(self.location):
            paused = self.client.hgetall(self.keys.paused)
            limits = self.client.hgetall(self.keys.limits)
        controls = {}
        for field in sorted(paused.keys() | limits.keys()):
            queue, limit = field.decode(), limits.get(field)
            pause = json.loads(paused[field]) if field in paused else {}
            controls[queue] = QueueControl(
                queue,
                bool(pause),
                pause.get("reason"),
                pause.get("paused_at"),
                None if limit is None else int(limit),
            )
        return controls

    def limit_queue(self, queue: str, concurrency: int | None) -> None:
        with errors(self.location):
            if concurrency is None:
                self.client.hdel(self.keys.limits, queue)
            else:
                self.client.hset(self.keys.limits, queue, concurrency)
            self.client.publish(self.keys.wake, "1")  # room may have been made

    def due_since(self, queues: Sequence[str]) -> dict[str, float]:
        found = {}
        with errors(self.location):
            for queue in _distinct(queues):
                top = self.client.zrange(self.keys.waiting(queue), 0, 0, withscores=True)
                if top:
                    found[queue] = float(top[0][1])
        return found

    def pause_queues(self, queues: Sequence[str], reason: str | None, now: float) -> None:
        if not queues:
            return
        pause = _json({"reason": reason, "paused_at": float(now)})
        with errors(self.location):  # one HSET: atomic, and every claim reads it
            self.client.hset(self.keys.paused, mapping=dict.fromkeys(queues, pause))

    def resume_queues(self, queues: Sequence[str] | None) -> list[str]:
        if queues is not None and not queues:
            return []
        return [stored.text(queue) for queue in self._run("resume_queues", *_queue_args(queues))]

    # -- plugin statistics --------------------------------------------------------------

    def add_stats(self, deltas: Mapping[str, float]) -> None:
        if deltas:
            flat = [x for name, delta in deltas.items() for x in (name, repr(delta))]
            self._run("add_stats", *flat)

    def stats(self, prefix: str = "") -> dict[str, float]:
        with errors(self.location):
            found = self.client.hgetall(self.keys.stats)
        named = ((name.decode(), float(value)) for name, value in found.items())
        return {name: value for name, value in named if name.startswith(prefix)}

    # -- worker registry -------------------------------------------------------------

    def register_worker(self, worker: WorkerInfo) -> None:
        self._run(
            "register_worker",
            worker.id,
            codec.worker_info_json(worker),
            repr(float(worker.started_at)),
            repr(float(worker.heartbeat_at)),
            int(worker.stop_requested),
        )

    def heartbeat(self, worker_id: str, now: float) -> bool:
        # removed meanwhile: the heartbeat comes from the worker's own process
        anew = WorkerInfo(worker_id, hostname(), os.getpid())
        return bool(
            self._run("heartbeat", worker_id, repr(float(now)), codec.worker_info_json(anew))
        )

    def unregister_worker(self, worker_id: str) -> None:
        self._run("unregister_worker", worker_id)

    def workers(self) -> list[WorkerInfo]:
        flat = self._run("workers")
        found = []
        for raw_id, raw_fields in zip(flat[::2], flat[1::2], strict=True):
            fields = pairs(raw_fields)
            found.append((int(fields[b"order"]), codec.worker_from_fields(raw_id.decode(), fields)))
        found.sort(key=lambda entry: (entry[1].started_at, entry[0]))
        return [worker for _, worker in found]

    def request_stop(self, worker_ids: Sequence[str] | None = None) -> int:
        if worker_ids is None:
            return int(self._run("request_stop", "*"))
        ids = _distinct(worker_ids)
        return int(self._run("request_stop", "+", *ids)) if ids else 0

    # -- waiting, warnings and closing ------------------------------------------------------

    def waiter(self, worker_id: str) -> Waiter:
        return PubSubWaiter(self.client, self.keys.wake)

    def warnings(self) -> list[str]:
        if self._warnings is None:
            self._warnings = self._persistence_warnings()
        return list(self._warnings or [])

    def _persistence_warnings(self) -> list[str] | None:
        """A warning if the server persists nothing; none if CONFIG is not allowed;
        ``None`` while the server cannot be reached (then it is asked again later)."""
        try:
            with errors(self.location):
                try:
                    config = _merged(self.client.config_get("appendonly"))
                    config.update(_merged(self.client.config_get("save")))
                except rx.ResponseError:  # CONFIG disabled or renamed (managed Redis)
                    return []
        except StorageError:
            return None
        if config.get("appendonly", "yes") == "no" and config.get("save", "x").strip() == "":
            return [
                f"Redis at {self.location} persists nothing (appendonly no, no save points): "
                "a restart loses every job"
            ]
        return []

    def describe(self) -> str:
        return self._where

    def close(self) -> None:
        with errors(self.location):
            self.client.close()


def _merged(config: Any) -> dict[str, str]:
    """``CONFIG GET`` answers (one server, or a cluster's per-node dicts) as text."""
    merged: dict[str, str] = {}
    if not isinstance(config, dict):
        return merged
    for key, value in config.items():
        if isinstance(value, dict):  # cluster: node -> answer
            merged.update(_merged(value))
        else:
            name = key.decode() if isinstance(key, bytes) else str(key)
            merged[name] = value.decode() if isinstance(value, bytes) else str(value)
    return merged


def _queue_args(queues: Sequence[str] | None) -> list[str]:
    return ["*"] if queues is None else ["+", *_distinct(queues)]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _held(found: Sequence[Sequence[bytes]]) -> list[Claim]:
    """Claims from the hashes of processing jobs, in enqueue order."""
    claims = []
    for flat in found:
        fields = pairs(flat)
        if fields.get(b"state") != b"processing" or b"token" not in fields:
            continue
        job = codec.job_from_fields(fields)
        token, attempt = fields[b"token"].decode(), int(fields[b"last_attempt"])
        claim = Claim(job, token, attempt, dependents=b"dependents" in fields)
        claims.append((int(fields[b"seq"]), claim))
    claims.sort(key=lambda entry: entry[0])
    return [claim for _, claim in claims]


def _raise_refusal(answer: Sequence[Any], verb: str, allowed: Sequence[str]) -> None:
    """Raise for a script's ``missing`` or ``state`` answer (nothing was changed)."""
    kind = answer[0]
    if kind == b"missing":
        raise NoSuchJobError(answer[1].decode())
    if kind == b"state":
        job_id, state = answer[1].decode(), answer[2].decode()
        raise InvalidStateError.refusing(job_id, state, allowed, verb)


def _distinct(values: Iterable[Any]) -> list[Any]:
    """The values without repeats, in their first order."""
    return list(dict.fromkeys(values))
