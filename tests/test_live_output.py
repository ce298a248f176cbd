"""Live output on the worker's side: what the shell executor sends while a job runs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

import pytest

from queuectl_core.executors.base import ExecutionContext
from queuectl_core.executors.output import LiveOutput
from queuectl_core.executors.shell import ShellExecutor
from queuectl_core.job import Job, Outcome
from queuectl_core.storage import OutputChunk

Sent = list[list[OutputChunk]]


def recorder(sent: Sent, answer: bool = True) -> Callable[[Sequence[OutputChunk]], bool]:
    def send(chunks: Sequence[OutputChunk]) -> bool:
        sent.append(list(chunks))
        return answer

    return send


def test_nothing_is_sent_before_the_interval_nor_while_nothing_waits() -> None:
    sent: Sent = []
    live = LiveOutput(recorder(sent), limit=100, now=0.0, interval=0.5)
    assert live.due_in(0.1) is None
    live.send_if_due(1.0)
    live.feed("stdout", b"a")
    assert live.due_in(0.1) == pytest.approx(0.4)
    live.send_if_due(0.4)
    assert sent == []
    live.feed("stderr", b"e")
    live.feed("stdout", b"b")
    live.send_if_due(0.5)
    assert sent == [[OutputChunk("stdout", b"ab"), OutputChunk("stderr", b"e")]]
    live.feed("stdout", b"c")
    live.send_if_due(0.9)  # the next is due 0.5 s after the last send
    live.send_if_due(1.0)
    assert sent[1:] == [[OutputChunk("stdout", b"c")]]


def test_what_waits_is_bounded_and_what_it_cuts_is_sent_as_skipped() -> None:
    sent: Sent = []
    live = LiveOutput(recorder(sent), limit=4, now=0.0, interval=0.5)
    live.feed("stdout", b"0123")
    live.feed("stdout", b"456789")
    live.send_if_due(1.0)
    assert sent == [[OutputChunk("stdout", b"6789", skipped=6)]]


def test_nothing_more_is_sent_once_the_lease_is_lost() -> None:
    sent: Sent = []
    live = LiveOutput(recorder(sent, answer=False), limit=10, now=0.0, interval=0.5)
    live.feed("stdout", b"a")
    live.send_if_due(0.5)
    live.feed("stdout", b"b")
    assert live.due_in(0.6) is None
    live.send_if_due(2.0)
    assert len(sent) == 1


@pytest.fixture
def abort_fd() -> Iterator[int]:
    read_fd, write_fd = os.pipe()
    yield read_fd
    os.close(read_fd)
    os.close(write_fd)


def run(command: str, abort_fd: int, sent: Sent, output_limit: int = 1000) -> bytes:
    context = ExecutionContext(
        job=Job(id="job-1", command=command),
        attempt=1,
        worker_id="worker-1",
        timeout=None,
        kill_grace=0.2,
        output_limit=output_limit,
        abort_fd=abort_fd,
        abort_reason=lambda: None,
        live_output=recorder(sent),
    )
    result = ShellExecutor().run(context)
    assert result.outcome is Outcome.SUCCEEDED
    return result.stdout


def test_a_shell_job_sends_what_it_printed_while_it_runs(abort_fd: int) -> None:
    sent: Sent = []
    assert run("echo one; sleep 0.8; echo two", abort_fd, sent) == b"one\ntwo\n"
    assert sent[0] == [OutputChunk("stdout", b"one\n")]
    assert b"two" not in b"".join(c.data for chunks in sent for c in chunks)  # came with the result


@pytest.mark.parametrize("command", ["sleep 0.7", "echo quick; echo err >&2"])
def test_a_silent_or_short_job_sends_nothing(abort_fd: int, command: str) -> None:
    sent: Sent = []
    run(command, abort_fd, sent)
    assert sent == []


def test_a_zero_output_limit_sends_nothing(abort_fd: int) -> None:
    sent: Sent = []
    run("echo one; sleep 0.7", abort_fd, sent, output_limit=0)
    assert sent == []
