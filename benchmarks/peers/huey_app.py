"""The huey application the consumer runs: storage from the environment, three tasks.

``BENCH_HUEY_STORAGE`` is a Redis URL (``RedisHuey``) or a SQLite file path
(``SqliteHuey``); ``BENCH_HUEY_NAME`` names the queue; every completed task appends
one byte to ``BENCH_DONE_FILE`` (a ``SIGNAL_COMPLETE`` handler in the worker), which
is how the runner counts completions: huey keeps no count of finished tasks. Huey's
settings are its defaults.
"""

from __future__ import annotations

import os

from huey import Huey, RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.signals import SIGNAL_COMPLETE  # type: ignore[import-untyped]

from benchmarks import jobs


def make_huey() -> Huey:
    storage = os.environ.get("BENCH_HUEY_STORAGE", "huey.db")
    name = os.environ.get("BENCH_HUEY_NAME", "bench")
    if storage.startswith(("redis://", "unix://")):
        return RedisHuey(name, url=storage)
    return SqliteHuey(name, filename=storage)


huey = make_huey()
noop = huey.task(name="noop")(jobs.noop)
shell = huey.task(name="shell")(jobs.shell)
stamp = huey.task(name="stamp")(jobs.stamp)

_done_fd: dict[int, int] = {}  # per process: the done file, opened once


def count_completion(signal: str, task: object) -> None:
    """Append one byte to the done file: the runner counts completions by its size."""
    path = os.environ.get("BENCH_DONE_FILE")
    if not path:
        return
    pid = os.getpid()
    if pid not in _done_fd:
        _done_fd[pid] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(_done_fd[pid], b".")


huey.signal(SIGNAL_COMPLETE)(count_completion)
