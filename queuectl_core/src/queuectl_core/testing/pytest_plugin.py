"""The ``queuectl`` pytest plugin for plugin authors' tests, loaded only where a test run
asks for it (``-p queuectl_core.testing.pytest_plugin``, or ``pytest_plugins`` in a
top-level conftest): installing queuectl changes nobody's own pytest runs.

It offers two fixtures, ``queuectl_job`` (valid jobs, for storage tests) and
``queuectl_cli`` (the real ``queuectl`` command on a SQLite file of the test's own,
for plugin tests), and makes what tests use with them importable from here as from
:mod:`queuectl_core.testing`: :class:`QueuectlCli`, :func:`wait_for` and
:func:`pid_alive` (from :mod:`queuectl_core.testing.cli`), :class:`JobFactory` and
:class:`StorageContract`. It imports nothing heavy: the contract suite loads on first
access, with pytest's assertion rewriting so its failures show the compared values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from queuectl_core.testing.cli import QueuectlCli, isolate, pid_alive, wait_for
from queuectl_core.testing.factory import JobFactory

if TYPE_CHECKING:
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

pytest.register_assert_rewrite("queuectl_core.testing.contract")  # and its submodules


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
            queuectl_cli.config(my_setting="on")
            job_id = queuectl_cli.enqueue("--command", "true")
            queuectl_cli.run("worker", "run", "--burst")
            assert queuectl_cli.job(job_id)["state"] == "completed"
            with queuectl_cli.queue() as queue:  # the same backend, in-process
                assert queue.get(job_id).attempts == 1

    ``run`` fails the test on a non-zero exit unless ``check=False``; see
    :class:`QueuectlCli` for ``json``, ``popen``, ``wait_state``, ``env`` and more.
    Workers started with ``worker start`` are stopped (killed if need be) at teardown.
    """
    cli = QueuectlCli(tmp_path)
    isolate(monkeypatch, tmp_path)
    yield cli
    cli.stop_workers()


def __getattr__(name: str) -> Any:
    if name == "StorageContract":
        from queuectl_core.testing.contract import StorageContract

        return StorageContract
    raise AttributeError(name)
