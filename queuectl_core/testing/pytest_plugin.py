"""The ``queuectl`` pytest plugin, loaded in every test run where queuectl is installed.

It offers two fixtures, ``queuectl_job`` (valid jobs, for storage tests) and
``queuectl_cli`` (the real ``queuectl`` command on a SQLite file of the test's own,
for plugin tests), with :func:`wait_for` and :func:`pid_alive` for what runs in
the background; and it makes :class:`StorageContract` importable from here as from
:mod:`queuectl_core.testing`. It imports nothing heavy: the contract suite loads on
first access, with pytest's assertion rewriting so its failures show the compared
values.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from queuectl_core.testing import JobFactory

if TYPE_CHECKING:
    from queuectl_core.queue import Queue
    from queuectl_core.testing.contract import StorageContract

__all__ = [
    "JobFactory",
    "QueuectlCli",
    "StorageContract",
    "pid_alive",
    "queuectl_cli",
    "queuectl_job",
    "wait_for",
]

T = TypeVar("T")

pytest.register_assert_rewrite("queuectl_core.testing.contract")  # and its submodules

#: Where a :class:`QueuectlCli` puts HOME and the XDG directories, under its root.
HOME_DIRECTORIES = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",  # worker logs: state/queuectl/workers.log
}


@pytest.fixture
def queuectl_job() -> JobFactory:
    """A factory of valid pending jobs: ``queuectl_job("id", priority=5)``."""
    return JobFactory()


@pytest.fixture
def queuectl_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[QueuectlCli]:
    """The real ``queuectl`` command on ``tmp_path/queue.db``, with nothing of the user's.

    The command runs with no ``QUEUECTL_*`` variable but ``QUEUECTL_DB``, and with
    HOME and the XDG directories under ``tmp_path``, so no config file, database or
    worker log of the user's is read or written. The test's own process gets the
    same treatment (no ``QUEUECTL_*``, XDG directories under ``tmp_path``), so the
    Python API and the command agree::

        def test_my_plugin(queuectl_cli):
            queuectl_cli.run("config", "set", "my_setting", "on")
            job_id = queuectl_cli.run("enqueue", "--command", "true").stdout.strip()
            queuectl_cli.run("worker", "run", "--burst")
            assert queuectl_cli.json("show", job_id)["state"] == "completed"
            with queuectl_cli.queue() as queue:  # the same backend, in-process
                assert queue.get(job_id).attempts == 1

    ``run`` fails the test on a non-zero exit unless ``check=False``; see
    :class:`QueuectlCli` for ``json``, ``popen``, ``env``, ``db`` and ``root``.
    Workers started with ``worker start`` are stopped (killed if need be) at teardown.
    """
    cli = QueuectlCli(tmp_path)
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name in HOME_DIRECTORIES:
        if name != "HOME":
            monkeypatch.setenv(name, cli.env[name])
    yield cli
    cli.stop_workers()


class QueuectlCli:
    """The installed ``queuectl`` command, run in an environment of its own.

    ``env`` is this process's environment without ``QUEUECTL_*`` variables, with HOME
    and the XDG directories under ``root`` (:data:`HOME_DIRECTORIES`), plus
    ``backend_env``: by default ``QUEUECTL_DB`` naming ``db``, ``root/queue.db``.
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
                f"queuectl {' '.join(args)} exited {done.returncode}\n"
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

    def stop_workers(self) -> None:
        """Stop the workers ``worker start`` started: ``worker stop --force``, then SIGKILL
        for any still alive. Does nothing if no ``worker start`` ran."""
        if not self._started_workers:
            return
        self._started_workers = False
        try:
            pids = [worker["pid"] for worker in self.json("worker", "list")]
        except (AssertionError, ValueError, KeyError, subprocess.TimeoutExpired):
            pids = []
        self.run("worker", "stop", "--force", "--timeout", "5", check=False)
        for pid in pids:
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)

    def _note_workers(self, args: tuple[str, ...]) -> None:
        if any(a == "worker" and b == "start" for a, b in pairwise(args)):
            self._started_workers = True


def wait_for(
    predicate: Callable[[], T], timeout: float = 10.0, what: str | Callable[[], str] = "it"
) -> T:
    """Poll ``predicate`` every 50 ms until it returns something truthy, and return that;
    after ``timeout`` seconds, fail naming ``what`` (a text, or a function that tells)."""
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
        time.sleep(0.05)


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


def __getattr__(name: str) -> Any:
    if name == "StorageContract":
        from queuectl_core.testing.contract import StorageContract

        return StorageContract
    raise AttributeError(name)
