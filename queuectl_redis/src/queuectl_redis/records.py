"""The named records the Lua scripts are told what to do with.

A script gets what Python decided as one JSON object (``cjson.decode`` in Lua), not
as a row of positional arguments: both sides agree by field name, a field added
shifts no other, and an absent optional value is an absent field. Values a script
stores are text as the hash keeps them (floats by ``repr``: Lua never formats a
float), flags are JSON booleans. A finish's outputs are bytes, which JSON would have
to escape: they follow the record as arguments of their own, numbered from 1, and
the finish names its numbers.

Policy stays in core: whether a job that starts waiting is ready at once or
scheduled is core's rule (:meth:`Transition.makes_ready`, :func:`due_by`), asked
here and handed over as ``ready``; the scripts only apply it atomically.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from queuectl_core import stored
from queuectl_core.job import Job, State
from queuectl_core.storage import (
    ClaimRequest,
    DependentMove,
    Finish,
    OutputChunk,
    Transition,
    UniqueCheck,
    due_by,
)
from queuectl_redis import codec

Record = dict[str, Any]


def finish_call(
    finished: Sequence[Finish], expired_by: float | None, claim: Record | None = None
) -> list[bytes]:
    """The arguments of ``finish`` or ``finish_and_claim``: the call's record (its
    finishes and, for the latter, its claim), then the finishes' outputs."""
    outputs: list[bytes] = []
    call: Record = {
        "finishes": [finish(*end, expired_by, outputs) for end in finished],
    }
    if claim is not None:
        call["claim"] = claim
    return [encoded(call), *outputs]


def finish(
    job_id: str, token: str, transition: Transition, expired_by: float | None, outputs: list[bytes]
) -> Record:
    """One finish (see ``finish`` in ``lua/lib.lua``); its non-empty outputs are
    appended to ``outputs`` and named by their numbers there. Optional fields, false
    flags and zero counts are left out: the scripts read absent as none, false or 0."""
    result = transition.result
    record: Record = {
        "id": _escaped(job_id),
        "token": token,
        "state": transition.state.value,
        "finished_at": repr(float(result.finished_at)),
        "outcome": result.outcome.value,
    }
    if transition.refund_attempt:
        record["refund"] = True
    if transition.makes_ready():
        record["ready"] = True
    if expired_by is not None:
        record["expired_by"] = repr(float(expired_by))
    if transition.next_run_at is not None:
        record["next_run_at"] = repr(float(transition.next_run_at))
    if result.error is not None:
        record["error"] = result.error
    if result.result is not None:
        record["result"] = codec.to_json(result.result)
    if result.exit_code is not None:
        record["exit_code"] = str(result.exit_code)
    if result.started_at is not None:
        record["started_at"] = repr(float(result.started_at))
    for name, output in (("stdout", result.stdout), ("stderr", result.stderr)):
        if output:
            outputs.append(output)
            record[name] = len(outputs)
    if result.stdout_dropped:
        record["stdout_dropped"] = str(result.stdout_dropped)
    if result.stderr_dropped:
        record["stderr_dropped"] = str(result.stderr_dropped)
    return record


def output_call(
    job_id: str, token: str, attempt: int, chunks: Sequence[OutputChunk], limit: int
) -> list[bytes]:
    """The arguments of ``append_output``: its record (whom, the limit, and each
    chunk's stream and skipped count), then each chunk's bytes, in order."""
    record: Record = {
        "id": _escaped(job_id),
        "token": token,
        "attempt": attempt,
        "limit": limit,
        "chunks": [{"stream": chunk.stream, "skipped": chunk.skipped} for chunk in chunks],
    }
    return [encoded(record), *(chunk.data for chunk in chunks)]


def claim(request: ClaimRequest, limit: int, token: str) -> Record:
    """A claim (see ``claim`` in ``lua/lib.lua``): up to ``limit`` jobs, the n-th
    under the token ``<token>.<n>``."""
    record: Record = {
        "worker": request.worker_id,
        "now": repr(float(request.now)),
        "lease_until": repr(float(request.lease_until)),
        "token": token,
        "limit": max(limit, 0),
    }
    if request.queues is not None:
        record["queues"] = list(dict.fromkeys(request.queues))
    return record


def release(now: float) -> Record:
    """What a job given back unstarted becomes (see ``lua/release.lua``): pending, and
    ready at once, since it keeps its due time, which had come when it was claimed
    (core's rule: :func:`due_by` with ``None``)."""
    return {"now": repr(float(now)), "state": State.PENDING.value, "ready": due_by(None, now)}


def retry(now: float, unknown_as: str) -> Record:
    """What a dead job retried becomes (see ``lua/retry_dead.lua``): pending, due at
    ``now`` and so ready at once (core's rule: :func:`due_by`). ``unknown_as`` is the
    state a job in a state queuectl does not know counts as."""
    return {
        "now": repr(float(now)),
        "unknown_as": unknown_as,
        "state": State.PENDING.value,
        "next_run_at": repr(float(now)),
        "ready": due_by(now, now),
    }


def cancel(job_id: str, now: float, reason: str, unknown_as: str) -> Record:
    """A cancel (see ``lua/cancel.lua``): ``reason`` is the job's ``last_error`` and its
    open attempt's error; ``unknown_as`` the state an unknown one counts as."""
    return {
        "id": _escaped(job_id),
        "now": repr(float(now)),
        "reason": reason,
        "unknown_as": unknown_as,
    }


def enqueue(jobs: Sequence[Job], unique: Mapping[str, UniqueCheck] | None) -> Record | None:
    """What ``lua/enqueue.lua`` indexes besides the jobs, ``None`` for plain jobs:
    ``edges``, the jobs' ``after``, each [id waited for, id of the waiting job];
    ``keys``, the jobs with a unique key, each [its position in the batch (from 1), the
    key, and core's check if it has one: {states, since}]; and ``expiring``, each [id,
    ``expires_at``] of a job with an expiry."""
    record: Record = {}
    edges = [[parent, _escaped(job.id)] for job in jobs for parent in job.after]
    if edges:
        record["edges"] = edges
    keys = [
        [number, job.unique_key, *_check(unique.get(job.id) if unique else None)]
        for number, job in enumerate(jobs, 1)
        if job.unique_key is not None
    ]
    if keys:
        record["keys"] = keys
    expiring = [
        [_escaped(job.id), repr(float(job.expires_at))]
        for job in jobs
        if job.expires_at is not None
    ]
    if expiring:
        record["expiring"] = expiring
    return record or None


def _check(check: UniqueCheck | None) -> list[Record]:
    if check is None:
        return []
    record: Record = {"states": sorted(state.value for state in check.states)}
    if check.since is not None:
        record["since"] = repr(float(check.since))
    return [record]


def expire(now: float, reason: str, limit: int) -> Record:
    """An expiry sweep (see ``lua/expire.lua``): cancel up to ``limit`` jobs not
    started (core's ``EXPIRABLE`` states, ``attempts`` 0) expired by ``now``."""
    return {"now": repr(float(now)), "reason": reason, "limit": limit}


def settle(job_id: str, seen: State, moves: Sequence[DependentMove], now: float) -> Record:
    """A settle (see ``lua/settle.lua``): core's moves of the jobs that wait for
    ``job_id``, to apply if it is still in state ``seen``."""
    return {
        "id": _escaped(job_id),
        "seen": seen.value,
        "now": repr(float(now)),
        "moves": [_move(move) for move in moves],
    }


def _move(move: DependentMove) -> Record:
    record: Record = {
        "id": _escaped(move.job_id),
        "source": move.source.value,
        "target": move.target.value,
    }
    if move.error is not None:
        record["error"] = move.error
    if move.ready:
        record["ready"] = True
    return record


def progress(job_id: str, token: str, text: str) -> Record:
    """A progress report (see ``lua/set_progress.lua``): ``text`` is what core stores."""
    return {"id": _escaped(job_id), "token": token, "progress": text}


def extension(job_id: str, token: str, seconds: float, maximum: float) -> Record:
    """A timeout extension (see ``lua/extend_timeout.lua``)."""
    return {
        "id": _escaped(job_id),
        "token": token,
        "seconds": repr(float(seconds)),
        "maximum": repr(float(maximum)),
    }


def encoded(record: Record) -> bytes:
    """A record as a script argument: compact JSON; ids read from bytes that are not
    UTF-8 go back as those bytes (see :func:`_escaped`)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogateescape")


def _escaped(job_id: str) -> str:
    """``job_id`` for a record: an id read from bytes that are not UTF-8 as those bytes
    escaped (``surrogateescape``), which :func:`encoded` turns back into them."""
    if isinstance(job_id, stored.NotUtf8):
        return job_id.raw.decode("utf-8", "surrogateescape")
    return job_id
