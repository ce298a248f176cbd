"""End-to-end harness: the real ``queuectl`` command, real detached workers.

Every test runs once per backend: ``sqlite`` (a database file of its own) and ``redis``
(a fresh key namespace on the session's own redis-server, from the queuectl_redis
pytest plugin). Every test gets its own HOME and XDG directories, and every worker it
started is stopped (then killed, if need be) at teardown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))
BACKENDS = ("sqlite", "redis")


class Cli:
    """Runs ``queuectl`` against one isolated environment."""

    def __init__(
        self,
        root: Path,
        backend_env: Mapping[str, str],
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.backend = backend_env.get("QUEUECTL_BACKEND", "sqlite")
        self.extra_args = extra_args
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("QUEUECTL_")
        }
        self.env.update(
            HOME=str(root / "home"),
            XDG_CONFIG_HOME=str(root / "config"),
            XDG_DATA_HOME=str(root / "data"),
            XDG_STATE_HOME=str(root / "state"),
        )
        self.env.update(backend_env)
        (root / "home").mkdir(parents=True, exist_ok=True)

    def run(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run a command; with ``check``, fail the test on a non-zero exit."""
        proc = subprocess.run(
            [QUEUECTL, *self.extra_args, *args],
            env=self.env,
            cwd=self.root,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"queuectl {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def enqueue(self, *args: str) -> str:
        return self.run("enqueue", *args).stdout.strip()

    def job(self, job_id: str) -> dict[str, Any]:
        return self.json("show", job_id)  # type: ignore[no-any-return]

    def config(self, **settings: object) -> None:
        for name, value in settings.items():
            self.run("config", "set", name, str(value))

    def wait_state(self, job_id: str, *states: str, timeout: float = 30) -> dict[str, Any]:
        """Poll ``show`` until the job is in one of ``states``; returns the job."""
        job: dict[str, Any] = {}

        def reached() -> bool:
            nonlocal job
            job = self.job(job_id)
            return job["state"] in states

        wait_for(reached, timeout, lambda: f"job {job_id} never reached {states}: {job}")
        return job

    def workers(self) -> list[dict[str, Any]]:
        return self.json("worker", "list")  # type: ignore[no-any-return]


def wait_for(
    predicate: Callable[[], bool], timeout: float, describe: Callable[[], str] | None = None
) -> None:
    """Poll ``predicate`` every 50 ms until true or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(describe() if describe else f"timed out after {timeout}s")
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(params=BACKENDS)
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    """A clean queuectl environment on each backend; its workers are stopped at teardown
    (before the Redis namespace is deleted: pytest tears ``cli`` down first)."""
    runner = Cli(tmp_path, backend_environment(request, tmp_path))
    yield runner
    _stop_everything(runner)


def backend_environment(request: pytest.FixtureRequest, root: Path) -> dict[str, str]:
    """The ``QUEUECTL_*`` variables that point queuectl at ``request.param``'s backend."""
    if request.param == "redis":
        options: dict[str, str] = request.getfixturevalue("redis_options")
        return {
            "QUEUECTL_BACKEND": "redis",
            "QUEUECTL_REDIS_URL": options["url"],
            "QUEUECTL_REDIS_PREFIX": options["prefix"],
        }
    return {"QUEUECTL_DB": str(root / "queue.db")}


def _stop_everything(runner: Cli) -> None:
    try:
        pids = [worker["pid"] for worker in runner.workers()]
    except (AssertionError, ValueError, KeyError, subprocess.TimeoutExpired):
        pids = []
    runner.run("worker", "stop", "--force", "--timeout", "5", check=False, timeout=60)
    for pid in pids:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def install_plugin(site: Path, name: str, module_source: str) -> None:
    """Install a plugin the way pip would, minus the copying: module ``queuectl_<name>``
    and a ``.dist-info`` whose entry point puts it in the ``queuectl`` group, in
    ``site``. Add ``site`` to ``PYTHONPATH`` and every process discovers it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"queuectl_{name}.py").write_text(module_source)
    dist_info = site / f"queuectl_{name}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: queuectl-{name}\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(f"[queuectl]\n{name} = queuectl_{name}\n")
