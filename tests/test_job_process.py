"""A job's own directory and environment in the executors and at enqueue, and the
python executor's ``NonRetryable`` (the e2e side: tests/e2e/test_retries_and_environment.py)."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queuectl_core import NonRetryable
from queuectl_core.errors import InvalidJobError
from queuectl_core.executors.base import ExecutionContext
from queuectl_core.executors.python import PythonExecutor
from queuectl_core.executors.shell import ShellExecutor
from queuectl_core.job import Job, Outcome
from queuectl_core.job_process import env_from_pairs
from queuectl_core.jobspec import build_job


@pytest.fixture
def abort_fd() -> Iterator[int]:
    read, write = os.pipe()
    yield read
    os.close(read)
    os.close(write)


def context(abort_fd: int, **job_fields: Any) -> ExecutionContext:
    return ExecutionContext(
        job=Job(id="job-1", **job_fields),
        attempt=1,
        worker_id="worker-1",
        timeout=None,
        kill_grace=1.0,
        output_limit=65536,
        abort_fd=abort_fd,
        abort_reason=lambda: None,
    )


def test_the_command_runs_in_its_cwd_however_the_name_is_spelled(
    abort_fd: int, tmp_path: Path
) -> None:
    awkward = tmp_path / "it's a $HOME dir; echo no"
    awkward.mkdir()
    result = ShellExecutor().run(context(abort_fd, command="pwd -P", cwd=str(awkward)))
    assert (result.outcome, result.stdout) == (Outcome.SUCCEEDED, f"{awkward}\n".encode())


def test_a_missing_cwd_fails_before_anything_runs(abort_fd: int, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    job = {"command": f"touch {marker}", "cwd": str(tmp_path / "nope")}
    result = ShellExecutor().run(context(abort_fd, **job))
    assert (result.outcome, result.error) == (
        Outcome.FAILED,
        f"working directory {tmp_path / 'nope'} does not exist",
    )
    assert not marker.exists()


def test_the_jobs_env_comes_after_the_workers_and_before_queuectls_own(
    abort_fd: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARED", "worker")
    monkeypatch.setenv("WORKER_ONLY", "kept")
    env = {"SHARED": "job", "QUEUECTL_JOB_ID": "forged", "QUEUECTL_DB": "/x", "EMPTY": ""}
    command = (
        'printf "%s|%s|%s|%s|%s" "$SHARED" "$WORKER_ONLY" "$QUEUECTL_JOB_ID" '
        '"${QUEUECTL_DB-unset}" "${EMPTY-unset}"'
    )
    result = ShellExecutor().run(
        context(abort_fd, command=command, env=env)
    )  # as if stored by hand
    assert result.stdout == b"job|kept|job-1|unset|"


def test_nonretryable_ends_the_attempt_not_retryable_with_its_message(abort_fd: int) -> None:
    module = types.ModuleType("nonretryable_handlers")

    def gone() -> None:
        raise NonRetryable("record 7 is gone\nmore detail")

    def bare() -> None:
        raise NonRetryable

    def flaky() -> None:
        raise ValueError("try again")

    module.__dict__.update(gone=gone, bare=bare, flaky=flaky)
    sys.modules[module.__name__] = module
    try:
        executor = PythonExecutor()
        run = lambda name: executor.run(  # noqa: E731
            context(abort_fd, command=f"nonretryable_handlers:{name}", type="python")
        )
        result = run("gone")
        assert (result.outcome, result.retryable) == (Outcome.FAILED, False)
        assert result.error == "record 7 is gone: not retried (NonRetryable)"
        assert b"NonRetryable: record 7 is gone" in result.stderr
        assert run("bare").error == "NonRetryable: not retried (NonRetryable)"
        flaky_result = run("flaky")
        assert (flaky_result.retryable, flaky_result.error) == (True, "ValueError: try again")
    finally:
        del sys.modules[module.__name__]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cwd": "relative/dir"}, "cwd must be an absolute path"),
        ({"cwd": ""}, "cwd must be a directory's absolute path"),
        ({"cwd": "/a\x00b"}, "NUL"),
        ({"cwd": "/" + "d" * 4095}, "at most 4095 bytes"),
        ({"env": {"A B": "v"}}, "'A B' is not a variable name"),
        ({"env": {"QUEUECTL_X": "v"}}, "QUEUECTL_X is queuectl's own"),
        ({"env": {"A": "\ud800"}}, "value of A is not valid Unicode"),
        ({"type": "python", "command": "os:getcwd", "cwd": "/tmp"}, "runs inside the worker"),
        ({"retry_on_exit": "1,2,x"}, "retry_on_exit: expected exit codes"),
        ({"no_retry_exit": [300]}, "no_retry_exit: exit code 300 must be between 0 and 255"),
        ({"backoff_jitter": 1}, "backoff_jitter must be true or false"),
    ],
)
def test_the_python_api_refuses_bad_process_fields(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidJobError) as refused:
        build_job({"command": "true", **fields}, 0.0)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_python_api_keeps_good_process_fields_and_sets_no_default_cwd() -> None:
    job = build_job(
        {"command": "true", "env": {"A": "1"}, "retry_on_exit": [111, 75], "backoff_jitter": False},
        0.0,
    )
    assert (job.cwd, job.env, job.retry_on_exit, job.backoff_jitter) == (
        None,
        {"A": "1"},
        (75, 111),
        False,
    )
    assert build_job({"command": "true", "no_retry_exit": "none"}, 0.0).no_retry_exit == ()


def test_env_options_never_show_a_value_in_their_errors() -> None:
    for pairs in (["SECRET"], ["1X=SECRET"], ["A=1", "A=SECRET"], ["QUEUECTL_A=SECRET"]):
        with pytest.raises(InvalidJobError) as refused:
            env_from_pairs(pairs)
        assert "SECRET" not in str(refused.value)
    assert env_from_pairs(["A=b=c", "E="]) == {"A": "b=c", "E": ""}


def test_a_jobs_repr_leaves_its_env_out() -> None:
    job = build_job({"command": "true", "env": {"TOKEN": "SECRET"}}, 0.0)
    assert "SECRET" not in repr(job)
    assert job.env == {"TOKEN": "SECRET"}
