"""What ``--backend memory`` means for queuectl: jobs live in one process only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from queuectl_core.job import State
from queuectl_core.queue import Queue
from queuectl_core.worker import Worker

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))
PROCESS_ONLY = "warning: the memory backend keeps jobs inside this one process until it exits"

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def queuectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """``queuectl --backend memory ARGS``; no user config leaks in."""
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))

    def run(
        *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [QUEUECTL, "--backend", "memory", *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run


def test_plugins_lists_the_memory_backend(queuectl: Run) -> None:
    plugins = json.loads(queuectl("plugins", "--json").stdout)

    [memory] = [plugin for plugin in plugins if plugin["name"] == "memory"]
    assert (memory["distribution"], memory["hooks"]) == (
        "queuectl-memory",
        ["queuectl_register_storage"],
    )


def test_status_works_is_empty_and_warns_that_nothing_is_shared(queuectl: Run) -> None:
    done = queuectl("status")
    assert done.stderr.startswith(PROCESS_ONLY)

    view = json.loads(queuectl("status", "--json").stdout)
    assert (view["backend"], view["total"], view["live_workers"]) == ("memory", 0, 0)
    assert view["location"].startswith("memory namespace 'default' in process ")


def test_a_job_lives_only_as_long_as_the_command_that_enqueued_it(queuectl: Run) -> None:
    assert queuectl("enqueue", "--id", "j1", "--command", "true").stdout == "j1\n"

    missing = queuectl("show", "j1", check=False)
    assert (missing.returncode, missing.stderr.count("\n")) == (1, 1)
    assert "j1" in missing.stderr


def test_db_names_the_namespace(queuectl: Run) -> None:
    view = json.loads(queuectl("--db", "nightly", "status", "--json").stdout)
    assert view["location"].startswith("memory namespace 'nightly' in process ")


def test_an_unknown_option_is_refused_in_one_line(queuectl: Run) -> None:
    done = queuectl("status", check=False, env={"QUEUECTL_MEMORY_COLOUR": "blue"})

    assert done.returncode == 1
    assert done.stderr == "Error: unknown memory option 'colour'; known options: name\n"


def test_a_program_and_its_own_worker_share_one_named_namespace(
    queuectl: Run,  # for its clean environment
) -> None:
    name = f"program-{uuid.uuid4().hex}"
    with Queue.open(backend="memory", db=name) as producer:
        producer.enqueue(id="greet", type="echo", payload={"to": "Ann"})

    with Queue.open(backend="memory", db=name) as consumer:  # another instance, same data
        assert Worker(consumer.storage, "in-process", burst=True).run() == 0
        job = consumer.get("greet")

    assert (job.state, job.result) == (State.COMPLETED, {"to": "Ann"})
