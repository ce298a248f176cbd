"""The real ``queuectl`` command, for tests: :class:`QueuectlCli` runs it in an
environment of its own; :func:`wait_for` and :func:`pid_alive` watch what it started.

The ``queuectl_cli`` fixture of the pytest plugin is a :class:`QueuectlCli` on
``tmp_path``. Only the standard library is imported here, so the pytest plugin that
imports this module in every test run stays cheap.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pytest

    from queuectl_core.queue import Queue

__all__ = ["HOME_DIRECTORIES", "QueuectlCli", "isolate", "pid_alive", "wait_for"]

T = TypeVar("T")

#: Where a :class:`QueuectlCli` puts HOME and the XDG directories, under its root.
HOME_DIRECTORIES = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",  # worker logs: state/queuectl/workers.log
}


class QueuectlCli:
    """The installed ``queuectl`` command, run in an environment of its own.

    ``env`` is this process's environment without ``QUEUECTL_*`` variables, with HOME
    and the XDG directories under ``root`` (:data:`HOME_DIRECTORIES`), plus
    ``backend_env``: by default ``QUEUECTL_DB`` naming ``db``, ``root/queue.db``.
    Change ``env`` to change what the next commands see.
    """

    def __init__(self, root: Path, backend_env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.db = root / "queue.db"
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("QUEUECTL_")
        }
        self.env.update({name: str(root / folder) for name, folder in HOME_DIRECTORIES.items()})
        (root / HOME_DIRECTORIES["HOME"]).mkdir(parents=True, exist_ok=True)
        self.use_backend({"QUEUECTL_DB": str(self.db)} if backend_env is None else backend_env)
        self._started_workers = False

    def use_backend(self, backend_env: Mapping[str, str]) -> None:
        """Point the command elsewhere: ``backend_env`` replaces every ``QUEUECTL_*`` variable
        (e.g. ``Location("redis", options).environ()``)."""
        for name in [name for name in self.env if name.startswith("QUEUECTL_")]:
            del self.env[name]
        self.env.update(backend_env)

    def command(self, *args: str) -> list[str]:
        """The argument list that runs ``queuectl ARGS``."""
        script = Path(sys.executable).with_name("queuectl")  # the console script
        start = [str(script)] if script.exists() else [sys.executable, "-m", "queuectl_core"]
        return [*start, *args]

    def run(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``queuectl ARGS`` to its end; with ``check``, a non-zero exit fails the test."""
        self._note_workers(args)
        done = subprocess.run(
            self.command(*args),
            env=self.env,
            cwd=self.root,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"queuectl {' '.join(args)} exited {done.returncode} (in {self.root})\n"
                f"stdout: {done.stdout}\nstderr: {done.stderr}"
            )
        return done

    def json(self, *args: str) -> Any:
        """``queuectl ARGS --json``, parsed."""
        return json.loads(self.run(*args, "--json").stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """Start ``queuectl ARGS`` (e.g. a server) with its output in text pipes."""
        self._note_workers(args)
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def queue(self) -> Queue:
        """The backend the command uses, opened in this process (close it after use)."""
        from queuectl_core.config import resolve
        from queuectl_core.queue import Queue

        return Queue.open(resolve(environ=self.env))

    def enqueue(self, *args: str) -> str:
        """``queuectl enqueue ARGS`` (a JSON spec or flags); the new job's id."""
        return self.run("enqueue", *args).stdout.strip()

    def job(self, job_id: str) -> dict[str, Any]:
        """The job as ``queuectl show ID --json`` shows it."""
        job: dict[str, Any] = self.json("show", job_id)
        return job

    def config(self, **settings: object) -> None:
        """``queuectl config set NAME VALUE`` for each setting given."""
        for name, value in settings.items():
            self.run("config", "set", name, str(value))

    def workers(self) -> list[dict[str, Any]]:
        """The registered workers, as ``queuectl worker list --json`` shows them."""
        workers: list[dict[str, Any]] = self.json("worker", "list")
        return workers

    def wait_state(self, job_id: str, *states: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll ``show`` until the job is in one of ``states``; return the job."""
        job: dict[str, Any] = {}

        def reached() -> bool:
            nonlocal job
            job = self.job(job_id)
            return job["state"] in states

        wait_for(reached, timeout, lambda: f"job {job_id} never reached {states}: {job}")
        return job

    def stop_workers(self) -> None:
        """Stop the workers ``worker start`` started: ``worker stop --force``, then SIGKILL
        for any still alive. Does nothing if no ``worker start`` ran."""
        if not self._started_workers:
            return
        self._started_workers = False
        try:
            pids = [worker["pid"] for worker in self.workers()]
        except (AssertionError, ValueError, KeyError, subprocess.TimeoutExpired):
            pids = []
        self.run("worker", "stop", "--force", "--timeout", "5", check=False)
        for pid in pids:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)

    def _note_workers(self, args: tuple[str, ...]) -> None:
        if any(a == "worker" and b == "start" for a, b in pairwise(args)):
            self._started_workers = True


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    """Give this process what :class:`QueuectlCli` gives the command: no ``QUEUECTL_*``
    variables, XDG directories under ``root`` (HOME stays)."""
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name, folder in HOME_DIRECTORIES.items():
        if name != "HOME":
            monkeypatch.setenv(name, str(root / folder))


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float = 10.0,
    what: str | Callable[[], str] = "it",
    interval: float = 0.05,
) -> T:
    """Poll ``predicate`` every ``interval`` seconds until it returns something truthy, and
    return that; after ``timeout`` seconds, fail naming ``what`` (a text, or a function
    that tells)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            described = (
                what() if callable(what) else f"timed out after {timeout:g}s waiting for {what}"
            )
            raise AssertionError(described)
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:  # no /proc: alive, as far as kill() can tell
        return True
