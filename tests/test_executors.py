"""The built-in executors, with real processes, real pipes and real signals."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from queuectl_core import executors
from queuectl_core.errors import UnknownExecutorError
from queuectl_core.executors.base import ExecutionContext, JobInterrupted
from queuectl_core.executors.output import OutputTail
from queuectl_core.executors.python import PAYLOAD_ERROR, PythonExecutor
from queuectl_core.executors.shell import ShellExecutor
from queuectl_core.job import AttemptResult, Job, Outcome

# tests/ may or may not be a package: name the handlers module the way it was imported.
_PACKAGE = __name__.rpartition(".")[0]
HANDLERS = f"{_PACKAGE}.handlers_for_tests" if _PACKAGE else "handlers_for_tests"
importlib.import_module(HANDLERS)

GRACE = 0.2


class Abort:
    """The worker's side of the abort pipe: a reason, then a byte."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.reason: str | None = None

    def request(self, reason: str | None) -> None:
        self.reason = reason
        os.write(self.write_fd, b"x")

    def request_later(self, delay: float, reason: str) -> threading.Timer:
        timer = threading.Timer(delay, self.request, (reason,))
        timer.start()
        return timer

    def close(self) -> None:
        os.close(self.read_fd)
        os.close(self.write_fd)


@pytest.fixture
def abort() -> Iterator[Abort]:
    pipe = Abort()
    yield pipe
    pipe.close()


@pytest.fixture
def context(abort: Abort) -> Callable[..., ExecutionContext]:
    def make(
        command: str = "",
        *,
        timeout: float | None = None,
        output_limit: int = 65536,
        **job_fields: Any,
    ) -> ExecutionContext:
        return ExecutionContext(
            job=Job(id="job-1", command=command, **job_fields),
            attempt=2,
            worker_id="worker-1",
            timeout=timeout,
            kill_grace=GRACE,
            output_limit=output_limit,
            abort_fd=abort.read_fd,
            abort_reason=lambda: abort.reason,
        )

    return make


def timed(run: Callable[[], AttemptResult]) -> tuple[AttemptResult, float]:
    started = time.monotonic()
    result = run()
    return result, time.monotonic() - started


def process_gone(pid: int, wait: float = 2.0) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting for its reaper counts as gone)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            alive = state not in ("Z", "X")
        except FileNotFoundError:
            alive = False
        except OSError:  # no /proc: ask the kernel
            try:
                os.kill(pid, 0)
                alive = True
            except ProcessLookupError:
                alive = False
        if not alive:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def read_pid(path: Path) -> int:
    deadline = time.monotonic() + 5
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.01)
    return int(path.read_text())


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# -- OutputTail ---------------------------------------------------------------


def test_tail_keeps_everything_under_the_limit() -> None:
    tail = OutputTail(10)
    tail.feed(b"abc")
    tail.feed(b"def")
    assert (tail.data, tail.dropped) == (b"abcdef", 0)


@pytest.mark.parametrize("chunk", [1, 3, 7, 10, 25])
def test_tail_keeps_the_last_bytes_and_counts_the_rest(chunk: int) -> None:
    stream = bytes(range(256)) * 4
    tail = OutputTail(10)
    for start in range(0, len(stream), chunk):
        tail.feed(stream[start : start + chunk])
    assert tail.data == stream[-10:]
    assert tail.dropped == len(stream) - 10


def test_tail_with_limit_zero_keeps_nothing() -> None:
    tail = OutputTail(0)
    tail.feed(b"abc")
    tail.write("de")
    assert (tail.data, tail.dropped) == (b"", 5)


def test_tail_is_a_utf8_text_stream() -> None:
    tail = OutputTail(100)
    print("héllo", file=tail)
    tail.buffer.write(b"\xff")
    assert tail.data == "héllo\n".encode() + b"\xff"
    assert tail.encoding == "utf-8"
    with pytest.raises(TypeError):
        tail.write(b"bytes")  # type: ignore[arg-type]


# -- shell ----------------------------------------------------------------------


def test_shell_success_captures_stdout_and_stderr(context: Callable[..., ExecutionContext]) -> None:
    result = ShellExecutor().run(context("echo out; echo err >&2"))
    assert result.outcome is Outcome.SUCCEEDED
    assert (result.exit_code, result.error) == (0, None)
    assert (result.stdout, result.stderr) == (b"out\n", b"err\n")
    assert (result.stdout_dropped, result.stderr_dropped) == (0, 0)
    assert abs(result.finished_at - time.time()) < 5


def test_shell_keeps_the_tail_of_large_output(context: Callable[..., ExecutionContext]) -> None:
    command = "yes 0123456789 | head -c 300000; printf END; head -c 5000 /dev/zero >&2"
    result = ShellExecutor().run(context(command, output_limit=1000))
    assert result.outcome is Outcome.SUCCEEDED
    stream = (b"0123456789\n" * 30000)[:300000] + b"END"
    assert (result.stdout, result.stdout_dropped) == (stream[-1000:], len(stream) - 1000)
    assert (result.stderr, result.stderr_dropped) == (b"\0" * 1000, 4000)


def test_shell_keeps_non_utf8_bytes(context: Callable[..., ExecutionContext]) -> None:
    result = ShellExecutor().run(context(r"printf '\377\376ok'"))
    assert result.stdout == b"\xff\xfeok"


@pytest.mark.parametrize(
    ("command", "exit_code", "error"),
    [
        ("exit 3", 3, "exit code 3"),
        ("echo partial; exit 1", 1, "exit code 1"),
        ("no-such-command-for-queuectl", 127, "command not found"),
        ("kill -KILL $$", None, "killed by signal SIGKILL"),
        ("kill -TERM $$", None, "killed by signal SIGTERM"),
    ],
)
def test_shell_failures(
    context: Callable[..., ExecutionContext], command: str, exit_code: int | None, error: str
) -> None:
    result = ShellExecutor().run(context(command))
    assert result.outcome is Outcome.FAILED
    assert (result.exit_code, result.error) == (exit_code, error)


def test_shell_command_not_found_keeps_the_shells_message(
    context: Callable[..., ExecutionContext],
) -> None:
    result = ShellExecutor().run(context("no-such-command-for-queuectl"))
    assert b"no-such-command-for-queuectl" in result.stderr
    assert b"not found" in result.stderr


def test_shell_command_not_executable(
    context: Callable[..., ExecutionContext], tmp_path: Path
) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo never\n")
    script.chmod(0o644)
    result = ShellExecutor().run(context(str(script)))
    assert (result.outcome, result.exit_code) == (Outcome.FAILED, 126)
    assert result.error == "command not executable"


def test_shell_environment(
    context: Callable[..., ExecutionContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FROM_THE_WORKER", "inherited")
    command = (
        'printf "%s|%s|%s|%s|%s" "$QUEUECTL_JOB_ID" "$QUEUECTL_ATTEMPT" "$QUEUECTL_QUEUE" '
        '"$QUEUECTL_PAYLOAD" "$FROM_THE_WORKER"'
    )
    result = ShellExecutor().run(context(command, queue="mail", payload={"to": "ana", "n": 1}))
    assert result.stdout == b'job-1|2|mail|{"to": "ana", "n": 1}|inherited'


def test_shell_runs_with_default_signal_dispositions(
    context: Callable[..., ExecutionContext],
) -> None:
    # Python ignores SIGPIPE; the job must not: `yes` dies of it (status 141) when
    # `head` has read enough, instead of failing on EPIPE
    result = ShellExecutor().run(context('(yes; echo "yes exited $?" >&2) | head -n 1'))
    assert (result.stdout, result.stderr) == (b"y\n", b"yes exited 141\n")


def test_shell_jobs_inherit_no_descriptor_of_the_worker(tmp_path: Path) -> None:
    code = f"""
import os, time
from queuectl_core.executors.base import ExecutionContext
from queuectl_core.executors.shell import ShellExecutor
from queuectl_core.jobspec import build_job
kept = os.open({str(tmp_path)!r}, os.O_RDONLY)
os.set_inheritable(kept, True)  # as if this process had inherited it
abort_read, _ = os.pipe()
job = build_job({{"command": "ls /proc/$$/fd"}}, time.time())
context = ExecutionContext(job, 1, "w", None, 1.0, 4096, abort_read, lambda: None)
print(ShellExecutor().run(context).stdout.decode().split(), kept)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    listed, kept = out.stdout.rsplit(" ", 1)
    assert listed == "['0', '1', '2']" and int(kept) > 2


def test_shell_payload_variable_is_unset_without_payload(
    context: Callable[..., ExecutionContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUEUECTL_PAYLOAD", "stale")
    result = ShellExecutor().run(context('printf "%s" "${QUEUECTL_PAYLOAD-unset}"'))
    assert result.stdout == b"unset"


def test_shell_stdin_is_dev_null(context: Callable[..., ExecutionContext]) -> None:
    result = ShellExecutor().run(context("cat; echo done"))
    assert result.stdout == b"done\n"


def test_shell_timeout_kills_the_whole_group(
    context: Callable[..., ExecutionContext], tmp_path: Path
) -> None:
    pidfile = tmp_path / "stubborn.pid"
    command = f"echo started; sh -c 'trap \"\" TERM; echo $$ > {pidfile}; sleep 60' & sleep 60"
    run = ShellExecutor().run
    result, elapsed = timed(lambda: run(context(command, timeout=0.5)))
    pid = read_pid(pidfile)
    try:
        assert result.outcome is Outcome.TIMED_OUT
        assert (result.error, result.exit_code) == ("timed out after 0.5s", None)
        assert result.stdout == b"started\n"
        assert 0.5 + GRACE - 0.05 <= elapsed < 3  # the child ignored SIGTERM: grace, then KILL
        assert process_gone(pid)
    finally:
        kill_quietly(pid)


def test_shell_timeout_without_stubborn_children_ends_early(
    context: Callable[..., ExecutionContext],
) -> None:
    executor = ShellExecutor()
    # The sleep outlives the shell as an orphan; once killed, it may stay a zombie a
    # while, until init reaps it: that must not count as "still running".
    ctx = replace(context("sleep 60; echo never", timeout=0.3), kill_grace=10.0)
    result, elapsed = timed(lambda: executor.run(ctx))
    assert result.outcome is Outcome.TIMED_OUT
    assert elapsed < 3  # SIGTERM ended the group: the 10 s grace is not waited out


def test_shell_abort_interrupts_and_kills_the_group(
    context: Callable[..., ExecutionContext], abort: Abort, tmp_path: Path
) -> None:
    pidfile = tmp_path / "child.pid"
    command = f"sleep 60 & echo $! > {pidfile}; echo started; wait"
    timer = abort.request_later(0.3, "cancelled")
    result, elapsed = timed(lambda: ShellExecutor().run(context(command)))
    timer.join()
    pid = read_pid(pidfile)
    try:
        assert result.outcome is Outcome.INTERRUPTED
        assert result.error == "interrupted: cancelled"
        assert result.stdout == b"started\n"
        assert elapsed < 3
        assert process_gone(pid)
    finally:
        kill_quietly(pid)
    assert os.read(abort.read_fd, 10) == b"x"  # the executor left the worker's byte alone


def test_shell_abort_before_start_spawns_nothing(
    context: Callable[..., ExecutionContext], abort: Abort, tmp_path: Path
) -> None:
    abort.request("shutdown")
    result = ShellExecutor().run(context(f"touch {tmp_path / 'ran'}"))
    assert (result.outcome, result.error) == (Outcome.INTERRUPTED, "interrupted: shutdown")
    assert not (tmp_path / "ran").exists()


def test_shell_readable_abort_pipe_without_reason_does_not_stop(
    context: Callable[..., ExecutionContext], abort: Abort
) -> None:
    abort.request(None)
    result = ShellExecutor().run(context("sleep 0.2; echo done"))
    assert (result.outcome, result.stdout) == (Outcome.SUCCEEDED, b"done\n")


def test_shell_abort_is_noticed_after_a_reasonless_wake_up(
    context: Callable[..., ExecutionContext], abort: Abort
) -> None:
    abort.request(None)
    timer = threading.Timer(0.3, lambda: setattr(abort, "reason", "interrupted"))
    timer.start()
    result, elapsed = timed(lambda: ShellExecutor().run(context("sleep 60")))
    timer.join()
    assert (result.outcome, result.error) == (Outcome.INTERRUPTED, "interrupted: interrupted")
    assert elapsed < 3


def test_shell_does_not_wait_for_background_grandchildren(
    context: Callable[..., ExecutionContext], tmp_path: Path
) -> None:
    pidfile = tmp_path / "background.pid"
    result, elapsed = timed(
        lambda: ShellExecutor().run(context(f"sleep 30 & echo $! > {pidfile}; echo hi"))
    )
    pid = read_pid(pidfile)
    try:
        assert (result.outcome, result.stdout) == (Outcome.SUCCEEDED, b"hi\n")
        assert elapsed < 3
    finally:
        kill_quietly(pid)


def test_shell_spawn_failure_is_a_failed_result(
    context: Callable[..., ExecutionContext], tmp_path: Path
) -> None:
    result = ShellExecutor(shell=str(tmp_path / "no-shell")).run(context("echo hi"))
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and result.error.startswith("cannot start ")


# -- python ---------------------------------------------------------------------


def test_python_module_function_with_kwargs(context: Callable[..., ExecutionContext]) -> None:
    ctx = context(f"{HANDLERS}:greet", type="python", payload={"name": "ana"})
    result = PythonExecutor().run(ctx)
    assert (result.outcome, result.error) == (Outcome.SUCCEEDED, None)
    assert result.result == "hello ana!"
    assert result.stdout == b"greeting ana\n"
    assert result.exit_code is None


def test_python_nested_attribute(context: Callable[..., ExecutionContext]) -> None:
    ctx = context(f"{HANDLERS}:Greeter.shout", type="python", payload={"a": "b"})
    assert PythonExecutor().run(ctx).result == "{'A': 'B'}"


def test_python_registered_handler_by_command(context: Callable[..., ExecutionContext]) -> None:
    result = PythonExecutor().run(context("echo", type="python", payload={"msg": "hi"}))
    assert (result.outcome, result.result) == (Outcome.SUCCEEDED, {"msg": "hi"})
    assert result.stdout == b'{"msg": "hi"}\n'


def test_python_registered_handler_by_type(context: Callable[..., ExecutionContext]) -> None:
    result = PythonExecutor().run(context(type="echo", payload={"msg": "hi"}))
    assert (result.outcome, result.result) == (Outcome.SUCCEEDED, {"msg": "hi"})
    noop = PythonExecutor().run(context(type="noop", payload={"ignored": True}))
    assert (noop.outcome, noop.result, noop.stdout) == (Outcome.SUCCEEDED, None, b"")


def test_python_captures_both_streams_and_restores_them(
    context: Callable[..., ExecutionContext],
) -> None:
    before = sys.stdout, sys.stderr
    result = PythonExecutor().run(context(f"{HANDLERS}:write_streams", type="python"))
    assert (sys.stdout, sys.stderr) == before
    assert result.stdout == b"to stdout\nraw \xff bytes\n"
    assert result.stderr == b"to stderr\n"


def test_python_output_is_bounded(context: Callable[..., ExecutionContext]) -> None:
    ctx = context(f"{HANDLERS}:write_streams", type="python", output_limit=4)
    result = PythonExecutor().run(ctx)
    written = b"to stdout\nraw \xff bytes\n"
    assert (result.stdout, result.stdout_dropped) == (written[-4:], len(written) - 4)


def test_python_result_is_stored_as_json_reads_it(
    context: Callable[..., ExecutionContext],
) -> None:
    result = PythonExecutor().run(context(f"{HANDLERS}:returns_tuple", type="python"))
    assert (result.outcome, result.result) == (Outcome.SUCCEEDED, [1, "two"])


@pytest.mark.parametrize(
    ("function", "error"),
    [
        ("returns_set", "handler returned a value JSON cannot hold: set"),
        (
            "returns_nested_datetime",
            "handler returned a value JSON cannot hold: datetime (inside the dict it returned)",
        ),
        ("returns_nan", "handler returned a value JSON cannot hold: a float that is NaN"),
    ],
)
def test_python_result_json_cannot_hold_fails_the_attempt(
    context: Callable[..., ExecutionContext], function: str, error: str
) -> None:
    result = PythonExecutor().run(context(f"{HANDLERS}:{function}", type="python"))
    assert result.outcome is Outcome.FAILED and result.result is None
    assert result.error is not None and result.error.startswith(error), result.error


def test_python_async_handler_is_awaited(context: Callable[..., ExecutionContext]) -> None:
    ctx = context(f"{HANDLERS}:greet_later", type="python", payload={"name": "ana"})
    result = PythonExecutor().run(ctx)
    assert (result.outcome, result.result) == (Outcome.SUCCEEDED, "hello ana")
    assert result.stdout == b"greeted ana after 0.01s\n"


def test_python_async_handler_failure_has_its_traceback(
    context: Callable[..., ExecutionContext],
) -> None:
    ctx = context(f"{HANDLERS}:async_fail", type="python", payload={"message": "late boom"})
    result = PythonExecutor().run(ctx)
    assert (result.outcome, result.error) == (Outcome.FAILED, "ValueError: late boom")
    assert b"async_fail" in result.stderr


def test_python_async_handler_times_out(context: Callable[..., ExecutionContext]) -> None:
    ctx = context(f"{HANDLERS}:async_sleep", type="python", payload={"seconds": 10}, timeout=0.3)
    result, elapsed = timed(lambda: PythonExecutor().run(ctx))
    assert (result.outcome, result.error) == (Outcome.TIMED_OUT, "timed out after 0.3s")
    assert elapsed < 3
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    again = PythonExecutor().run(context(f"{HANDLERS}:greet_later", payload={"name": "x"}))
    assert again.outcome is Outcome.SUCCEEDED  # no event loop left behind


def test_python_exception_is_a_failure_with_traceback(
    context: Callable[..., ExecutionContext],
) -> None:
    before = sys.stdout, sys.stderr
    payload = {"message": "bad thing\nsecond line"}
    result = PythonExecutor().run(context(f"{HANDLERS}:fail", type="python", payload=payload))
    assert (sys.stdout, sys.stderr) == before
    assert (result.outcome, result.error) == (Outcome.FAILED, "ValueError: bad thing")
    assert result.stderr.startswith(b"Traceback (most recent call last):")
    assert b"raise ValueError(message)" in result.stderr
    assert b"executors/python.py" not in result.stderr  # the executor's own frame is cut


def test_python_sys_exit_does_not_end_the_worker(
    context: Callable[..., ExecutionContext],
) -> None:
    ctx = context(f"{HANDLERS}:exit_with", type="python", payload={"code": 3})
    result = PythonExecutor().run(ctx)
    assert (result.outcome, result.error) == (Outcome.FAILED, "SystemExit: 3")


def test_python_wrong_arguments(context: Callable[..., ExecutionContext]) -> None:
    ctx = context(f"{HANDLERS}:greet", type="python", payload={"nom": "ana"})
    result = PythonExecutor().run(ctx)
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and result.error.startswith("TypeError: ")


@pytest.mark.parametrize("payload", [[1, 2], "text", 3])
def test_python_payload_must_be_an_object(
    context: Callable[..., ExecutionContext], payload: Any
) -> None:
    result = PythonExecutor().run(context(type="echo", payload=payload))
    assert (result.outcome, result.error) == (Outcome.FAILED, PAYLOAD_ERROR)


@pytest.mark.parametrize(
    ("command", "error"),
    [
        ("nope", "unknown handler 'nope': give module:function or a registered handler ("),
        ("no_such_module_for_queuectl:run", "cannot import module 'no_such_module_for_queuectl'"),
        (f"{HANDLERS}:missing", f"'{HANDLERS}' has no attribute 'missing'"),
        (f"{HANDLERS}:NOT_CALLABLE", f"'{HANDLERS}:NOT_CALLABLE' is not callable"),
    ],
)
def test_python_unresolvable_handler(
    context: Callable[..., ExecutionContext], command: str, error: str
) -> None:
    result = PythonExecutor().run(context(command, type="python"))
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and result.error.startswith(error)
    assert "\n" not in result.error


def test_python_timeout_cannot_be_swallowed(context: Callable[..., ExecutionContext]) -> None:
    def previous(signum: int, frame: Any) -> None:
        pass

    old = signal.signal(signal.SIGALRM, previous)
    try:
        ctx = context(
            f"{HANDLERS}:stubborn_sleep", type="python", payload={"seconds": 10}, timeout=0.3
        )
        result, elapsed = timed(lambda: PythonExecutor().run(ctx))
        assert (result.outcome, result.error) == (Outcome.TIMED_OUT, "timed out after 0.3s")
        assert elapsed < 3
        assert signal.getsignal(signal.SIGALRM) is previous
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, old)


def test_python_handler_finishing_in_time_disarms_the_timer(
    context: Callable[..., ExecutionContext],
) -> None:
    ctx = context(f"{HANDLERS}:greet", type="python", payload={"name": "bo"}, timeout=5)
    assert PythonExecutor().run(ctx).outcome is Outcome.SUCCEEDED
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_python_job_interrupted_from_a_signal_handler(
    context: Callable[..., ExecutionContext],
) -> None:
    def interrupt(signum: int, frame: Any) -> None:
        raise JobInterrupted("shutdown")

    old = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        ctx = context(f"{HANDLERS}:stubborn_sleep", type="python", payload={"seconds": 10})
        timer.start()
        result, elapsed = timed(lambda: PythonExecutor().run(ctx))
    finally:
        timer.join()
        signal.signal(signal.SIGUSR1, old)
    assert (result.outcome, result.error) == (Outcome.INTERRUPTED, "interrupted: shutdown")
    assert elapsed < 3


def test_python_abort_before_start_calls_nothing(
    context: Callable[..., ExecutionContext], abort: Abort, tmp_path: Path
) -> None:
    abort.request("cancelled")
    marker = tmp_path / "ran"
    ctx = context(f"{HANDLERS}:touch", type="python", payload={"path": str(marker)})
    result = PythonExecutor().run(ctx)
    assert (result.outcome, result.error) == (Outcome.INTERRUPTED, "interrupted: cancelled")
    assert not marker.exists()


def test_python_executor_refuses_other_threads(context: Callable[..., ExecutionContext]) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            PythonExecutor().run(context(type="noop"))
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "main thread" in str(errors[0])


# -- resolution ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("job_type", "executor_class"),
    [("shell", ShellExecutor), ("python", PythonExecutor), ("echo", PythonExecutor)],
)
def test_for_job(job_type: str, executor_class: type) -> None:
    assert isinstance(executors.for_job(Job(id="j", command="x", type=job_type)), executor_class)


def test_for_job_unknown_type_lists_the_known_names() -> None:
    with pytest.raises(UnknownExecutorError) as info:
        executors.for_job(Job(id="j", command="x", type="nonesuch"))
    message = str(info.value)
    assert "'nonesuch'" in message and "shell" in message and "echo" in message
    assert "\n" not in message


def test_shell_timeout_extended_while_the_job_runs(
    context: Callable[..., ExecutionContext],
) -> None:
    """The extension is read only when the deadline comes, and each time it grows the
    job runs on; a job that never reaches its timeout never asks."""
    grants: list[float] = []  # what each read answers; the last one from then on
    asked: list[float] = []

    def extension() -> float:
        asked.append(time.monotonic())
        return grants[min(len(asked), len(grants)) - 1]

    def run(command: str) -> AttemptResult:
        # an id of its own: stopping an attempt also stops the processes carrying its
        # markers, which other tests' jobs ("job-1") running at the same time carry too
        base = context(command, timeout=0.3)
        own = base.job.evolve(id="extended-job")
        return ShellExecutor().run(replace(base, job=own, token="t0ken", extension=extension))

    grants[:] = [0.5, 5.0]  # deadlines at 0.3 s, 0.8 s, then 5.3 s
    result = run("sleep 1")
    assert result.outcome is Outcome.SUCCEEDED and len(asked) == 2

    asked.clear()
    grants[:] = [0.2]  # it grows once, then no more
    stopped = run("sleep 5")
    assert (stopped.outcome, stopped.error) == (Outcome.TIMED_OUT, "timed out after 0.5s")
    assert len(asked) == 2

    asked.clear()
    assert run("true").outcome is Outcome.SUCCEEDED and asked == []


def test_shell_job_sees_its_token_and_never_shows_it(
    context: Callable[..., ExecutionContext],
) -> None:
    base = context('printf "%s" "$QUEUECTL_JOB_TOKEN"')
    with_token = replace(base, token="s3cret-token")
    assert ShellExecutor().run(with_token).stdout == b"s3cret-token"
    assert "s3cret-token" not in repr(with_token)
    assert ShellExecutor().run(base).stdout == b""  # none: not set
