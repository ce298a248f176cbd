"""What ``--backend memory`` means for queuectl: jobs live in one process only."""

from __future__ import annotations

import uuid

import pytest

from queuectl_core.job import State
from queuectl_core.queue import Queue
from queuectl_core.testing import QueuectlCli
from queuectl_core.worker import Worker

PROCESS_ONLY = "warning: the memory backend keeps jobs inside this one process until it exits"


@pytest.fixture
def queuectl(queuectl_cli: QueuectlCli) -> QueuectlCli:
    """The shipped ``queuectl_cli`` fixture on ``--backend memory``: no user config leaks in."""
    queuectl_cli.use_backend({"QUEUECTL_BACKEND": "memory"})
    return queuectl_cli


def test_plugins_lists_the_memory_backend(queuectl: QueuectlCli) -> None:
    plugins = queuectl.json("plugins")

    [memory] = [plugin for plugin in plugins if plugin["name"] == "memory"]
    assert (memory["distribution"], memory["hooks"]) == (
        "queuectl-memory",
        ["queuectl_register_storage"],
    )


def test_status_works_is_empty_and_warns_that_nothing_is_shared(queuectl: QueuectlCli) -> None:
    done = queuectl.run("status")
    assert done.stderr.startswith(PROCESS_ONLY)

    view = queuectl.json("status")
    assert (view["backend"], view["total"], view["live_workers"]) == ("memory", 0, 0)
    assert view["location"].startswith("memory namespace 'default' in process ")


def test_a_job_lives_only_as_long_as_the_command_that_enqueued_it(queuectl: QueuectlCli) -> None:
    assert queuectl.run("enqueue", "--id", "j1", "--command", "true").stdout == "j1\n"

    missing = queuectl.run("show", "j1", check=False)
    assert (missing.returncode, missing.stderr.count("\n")) == (1, 1)
    assert "j1" in missing.stderr


@pytest.mark.parametrize("args", [("start",), ("run", "--count", "2")])
def test_workers_in_other_processes_are_refused_at_once(
    queuectl: QueuectlCli, args: tuple[str, ...]
) -> None:
    done = queuectl.run("worker", *args, check=False, timeout=10)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: the memory backend keeps its jobs inside one process")
    assert done.stderr.count("\n") == 1


def test_db_names_the_namespace(queuectl: QueuectlCli) -> None:
    view = queuectl.json("--db", "nightly", "status")
    assert view["location"].startswith("memory namespace 'nightly' in process ")


def test_an_unknown_option_is_refused_in_one_line(queuectl: QueuectlCli) -> None:
    queuectl.env["QUEUECTL_MEMORY_COLOUR"] = "blue"
    done = queuectl.run("status", check=False)

    assert done.returncode == 1
    assert done.stderr == "Error: unknown memory option 'colour'; known options: name\n"


def test_a_program_and_its_own_worker_share_one_named_namespace(
    queuectl: QueuectlCli,  # for its clean environment
) -> None:
    name = f"program-{uuid.uuid4().hex}"
    with Queue.open(backend="memory", db=name) as producer:
        producer.enqueue(id="greet", type="echo", payload={"to": "Ann"})

    with Queue.open(backend="memory", db=name) as consumer:  # another instance, same data
        assert Worker(consumer.storage, "in-process", burst=True).run() == 0
        job = consumer.get("greet")

    assert (job.state, job.result) == (State.COMPLETED, {"to": "Ann"})
