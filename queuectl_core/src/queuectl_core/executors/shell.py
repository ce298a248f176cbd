"""The ``shell`` executor: ``/bin/sh -c COMMAND`` in a process group of its own.

One process is spawned per attempt (the shell, with ``os.posix_spawn``: see
:mod:`queuectl_core.executors.spawn`; no Python interpreter starts). Its
stdout and stderr are read through pipes by a ``poll(2)`` loop in the calling
thread, which also watches the shell's exit (a pidfd where the OS has one), the
worker's ``abort_fd`` and the timeout. ``poll`` rather than ``epoll``: with four
descriptors watched for one short run, epoll's set-up and tear-down (about ten system
calls) costs more than it saves. A timeout or an abort stops the whole process
group: ``SIGTERM``, up to ``kill_grace`` seconds for it to end, then ``SIGKILL``;
the attempt's processes that left the group are found by their environment and
stopped too (see :mod:`queuectl_core.worker.orphans`).

While the shell runs, what it prints also goes to the backend in chunks, at most every
half second (:class:`~queuectl_core.executors.output.LiveOutput`), so that ``queuectl
logs`` shows it from any host; a command that prints nothing, or ends sooner, sends none.

When the shell exits on its own, what its pipes already hold is read and the attempt
ends at once: background processes it left behind are neither waited for nor killed
(a command may start a daemon on purpose); they lose the pipes and keep running.
"""

from __future__ import annotations

import errno
import json
import math
import os
import select
import shlex
import signal
import time
from types import TracebackType

from queuectl_core import limits
from queuectl_core.executors.base import ExecutionContext, interrupted_error, timed_out_error
from queuectl_core.executors.output import LiveOutput, OutputTail
from queuectl_core.executors.spawn import Child, spawn
from queuectl_core.job import AttemptResult, Job, Outcome
from queuectl_core.job_process import cwd_problem
from queuectl_core.worker import orphans

_READ_SIZE = 65536
_DRAIN_READS = 16  # reads per pipe once the shell is gone: 1 MiB, the largest pipe buffer
_POLL = 0.05  # seconds between checks that no file descriptor can signal

# What a watched descriptor stands for.
_OUTPUT, _EXIT, _ABORT = "output", "exit", "abort"


class ShellExecutor:
    """Runs ``job.command`` with ``shell -c`` (``/bin/sh`` unless told otherwise), in
    ``job.cwd`` if it has one (see :func:`shell_command`).

    The command sees :func:`job_environment`. Its stdin is ``/dev/null``.
    """

    #: Jobs run in a child process: the worker stops them through ``abort_fd``.
    in_process = False
    #: What :class:`~queuectl_core.executors.Declared` asks of a shell job.
    needs_command = True
    payload_limit = limits.COMMAND_BYTES
    payload_limit_reason = "of a shell job (it is passed in $QUEUECTL_PAYLOAD)"

    def __init__(self, shell: str = "/bin/sh") -> None:
        self.shell = shell

    def run(self, context: ExecutionContext) -> AttemptResult:
        reason = context.abort_reason()
        if reason is not None:  # stopped before it started: spawn nothing
            return AttemptResult(Outcome.INTERRUPTED, time.time(), error=interrupted_error(reason))
        job = context.job
        if job.cwd is not None and (problem := cwd_problem(job.cwd)) is not None:
            return AttemptResult(Outcome.FAILED, time.time(), error=problem)
        try:
            process = spawn([self.shell, "-c", shell_command(job)], job_environment(context))
        except (OSError, ValueError) as exc:
            return AttemptResult(
                Outcome.FAILED, time.time(), error=f"cannot start {self.shell}: {_describe(exc)}"
            )
        try:
            run = _Run(process, context)
        except BaseException:  # e.g. a bad abort_fd: do not leave the shell running
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
            process.close()
            raise
        with run:
            return run.result()


def shell_command(job: Job) -> str:
    """What the shell runs: the command, after ``cd -- CWD || exit`` for a job with a
    ``cwd`` (``posix_spawn`` cannot change directory, and the worker's own directory is
    shared by its threads). The worker has checked the directory just before; should it
    vanish in between, the shell's ``cd`` fails the attempt with the shell's message."""
    if job.cwd is None:
        return job.command
    return f"cd -- {shlex.quote(job.cwd)} || exit\n{job.command}"


#: The only ``QUEUECTL_*`` variables a job sees (docs/configuration.md lists them).
JOB_VARIABLES = (
    "QUEUECTL_JOB_ID",
    "QUEUECTL_ATTEMPT",
    "QUEUECTL_WORKER_ID",
    "QUEUECTL_QUEUE",
    "QUEUECTL_PAYLOAD",
    "QUEUECTL_JOB_TOKEN",
)


def job_environment(context: ExecutionContext) -> dict[bytes, bytes]:
    """The worker's environment without any ``QUEUECTL_*`` variable (none can name the
    backend or carry its password), then the job's ``env``, then its own
    :data:`JOB_VARIABLES`.

    Bytes, as the OS holds them: nothing is decoded and encoded again per job.
    """
    job = context.job
    env = _environment_copy()
    for name, value in job.env.items():  # checked at enqueue; QUEUECTL_* never
        key = os.fsencode(name)
        if not key.startswith(_OURS):
            env[key] = os.fsencode(value)
    env[b"QUEUECTL_JOB_ID"] = os.fsencode(job.id)
    env[b"QUEUECTL_ATTEMPT"] = b"%d" % context.attempt
    env[b"QUEUECTL_WORKER_ID"] = os.fsencode(context.worker_id)
    env[b"QUEUECTL_QUEUE"] = os.fsencode(job.queue)
    if job.payload is not None:
        env[b"QUEUECTL_PAYLOAD"] = json.dumps(job.payload).encode()
    if context.token:
        env[b"QUEUECTL_JOB_TOKEN"] = context.token.encode()
    return env


_OURS = b"QUEUECTL_"
_base: tuple[dict[bytes, bytes], dict[bytes, bytes]] | None = None  # (environment, scrubbed)


def _environment_copy() -> dict[bytes, bytes]:
    """A copy of ``os.environb`` without ``QUEUECTL_*`` variables.

    The scrubbed copy is cached, and made again only when the environment changed
    (comparing two dicts is one C call; filtering costs ~1 µs per variable).
    """
    global _base
    data = getattr(os.environb, "_data", None)
    environ = data if isinstance(data, dict) else dict(os.environb)
    if _base is None or _base[0] != environ:
        scrubbed = {key: value for key, value in environ.items() if not key.startswith(_OURS)}
        _base = (dict(environ), scrubbed)
    return dict(_base[1])


class _Run:
    """One running shell: its pipes, its exit and the abort pipe in one poll set.

    The pipes stay blocking: they are read only when poll says they are readable
    (data or end of file), so a read never waits.
    """

    def __init__(self, process: Child, context: ExecutionContext) -> None:
        self.process = process
        self.context = context
        self.extended = 0.0  # seconds the deadline was moved by (queuectl heartbeat --extend)
        self.poller = select.poll()
        self.watched: dict[int, str] = {}  # descriptor -> what it stands for
        self.stdout = OutputTail(context.output_limit)
        self.stderr = OutputTail(context.output_limit)
        self.tails = {process.stdout: self.stdout, process.stderr: self.stderr}
        self.streams = {process.stdout: "stdout", process.stderr: "stderr"}
        send = context.live_output
        self.live = (
            LiveOutput(send, context.output_limit, time.monotonic())
            if send is not None and context.output_limit > 0
            else None
        )
        for fd in self.tails:
            self._watch(fd, _OUTPUT)
        self.pidfd = _pidfd_open(process.pid)
        if self.pidfd is not None:
            self._watch(self.pidfd, _EXIT)
        # The abort pipe is the worker's: it is watched, never read. If it is readable
        # while abort_reason() says nothing, it is unwatched and the reason is polled.
        self.abort_watched = True
        self._watch(context.abort_fd, _ABORT)

    def __enter__(self) -> _Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.returncode is None:  # left by an exception: leave no orphans
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._close_pidfd()
        self.process.close()

    def result(self) -> AttemptResult:
        timeout = self.context.timeout
        deadline = time.monotonic() + timeout if timeout and timeout > 0 else None
        stop = self._wait(deadline)
        if stop is None:
            self._drain()
            outcome, error, exit_code = _exit_status(self.process.returncode)
        else:
            outcome, error = stop
            exit_code = None
            self._stop_group()
            self._drain()
        return AttemptResult(
            outcome,
            time.time(),
            exit_code=exit_code,
            error=error,
            stdout=self.stdout.data,
            stderr=self.stderr.data,
            stdout_dropped=self.stdout.dropped,
            stderr_dropped=self.stderr.dropped,
        )

    def _wait(self, deadline: float | None) -> tuple[Outcome, str] | None:
        """Read output until the shell exits (None), or why it must be stopped."""
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self.pidfd is None or not self.abort_watched:
                timeout = _POLL if timeout is None else min(timeout, _POLL)
            live_due = None if self.live is None else self.live.due_in(time.monotonic())
            if live_due is not None:
                timeout = live_due if timeout is None else min(timeout, live_due)
            abort_signalled = False
            for fd, kind in self._ready(timeout):
                if kind == _OUTPUT:
                    self._read(fd)
                elif kind == _EXIT:
                    self._reap()
                else:
                    abort_signalled = True
            if self.pidfd is None:
                self.process.poll()
            if self.process.returncode is not None:  # finished wins over a late stop
                return None
            if self.live is not None:
                self.live.send_if_due(time.monotonic())
            if abort_signalled or not self.abort_watched:
                reason = self.context.abort_reason()
                if reason is not None:
                    return Outcome.INTERRUPTED, interrupted_error(reason)
                if abort_signalled:
                    self._unwatch_abort()
            if deadline is not None and time.monotonic() >= deadline:
                later = self._extension()
                if later > 0:
                    deadline += later
                    continue
                assert self.context.timeout is not None
                return Outcome.TIMED_OUT, timed_out_error(self.context.timeout + self.extended)

    def _extension(self) -> float:
        """Seconds the job extended its timeout by since the deadline was last moved:
        asked of the storage only when the deadline comes, so that a job that never
        extends pays nothing until it times out (then one read)."""
        if self.context.extension is None:
            return 0.0
        granted = self.context.extension()
        if granted <= self.extended:
            return 0.0
        later, self.extended = granted - self.extended, granted
        return later

    def _stop_group(self) -> None:
        """SIGTERM the whole group, allow it ``kill_grace`` to end, then SIGKILL the rest.

        The attempt's processes that left the group (``setsid``, daemons) get the same
        SIGTERM and, once the group has ended, SIGKILL; those re-parented to the
        worker are reaped (see :mod:`queuectl_core.worker.orphans`).
        """
        pgid = self.process.pid  # the shell leads its session and its process group
        self._unwatch_abort()
        context, shell = self.context, self.process.pid
        markers = (context.worker_id, context.job.id, context.attempt)
        # Found before any is signalled: one that dies becomes a zombie, with no
        # environment left to be recognised by, and may then be re-parented to us.
        others = [pid for pid in orphans.attempt_processes(*markers) if pid != shell]
        _signal_group(pgid, signal.SIGTERM)
        orphans.signal_processes(others, signal.SIGTERM)  # in the group or out of it
        deadline = time.monotonic() + self.context.kill_grace
        while not self._group_gone(pgid):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _signal_group(pgid, signal.SIGKILL)
                break
            if self.pidfd is None or self.process.returncode is not None:
                remaining = min(remaining, _POLL)  # the group's end has no file descriptor
            for fd, kind in self._ready(remaining):
                if kind == _OUTPUT:
                    self._read(fd)
                elif kind == _EXIT:
                    self._reap()
            if self.pidfd is None:
                self.process.poll()
        self.process.wait()
        killed = orphans.kill_attempt_processes(*markers, spare=(shell,))
        orphans.reap([*others, *killed])

    def _group_gone(self, pgid: int) -> bool:
        # The shell is checked first: while it is unreaped, its pid keeps the group id
        # from being reused, and it counts as a member even as a zombie.
        return self.process.returncode is not None and not _group_running(pgid)

    def _watch(self, fd: int, kind: str) -> None:
        self.poller.register(fd, select.POLLIN)
        self.watched[fd] = kind

    def _unwatch(self, fd: int) -> None:
        self.poller.unregister(fd)
        del self.watched[fd]

    def _ready(self, timeout: float | None) -> list[tuple[int, str]]:
        """The watched descriptors that are readable (or hung up) within ``timeout`` s."""
        ms = None if timeout is None else math.ceil(timeout * 1000)
        return [(fd, self.watched[fd]) for fd, _ in self.poller.poll(ms)]

    def _read(self, fd: int) -> None:
        """One read of a pipe that poll reported readable: data, or its end."""
        data = os.read(fd, _READ_SIZE)
        if data:
            self.tails[fd].feed(data)
            if self.live is not None:
                self.live.feed(self.streams[fd], data)
        else:
            self._unwatch(fd)

    def _drain(self) -> None:
        """Read what the pipes already hold, without waiting for more."""
        for _ in range(_DRAIN_READS):
            readable = [fd for fd, kind in self._ready(0) if kind == _OUTPUT]
            if not readable:
                return
            for fd in readable:
                self._read(fd)

    def _reap(self) -> None:
        self.process.wait()  # it has exited: this does not block
        self._close_pidfd()

    def _close_pidfd(self) -> None:
        if self.pidfd is not None:
            self._unwatch(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None

    def _unwatch_abort(self) -> None:
        if self.abort_watched:
            self._unwatch(self.context.abort_fd)
            self.abort_watched = False


def _exit_status(code: int | None) -> tuple[Outcome, str | None, int | None]:
    """Outcome, error and exit code of a shell that exited with ``code``."""
    assert code is not None
    if code == 0:
        return Outcome.SUCCEEDED, None, 0
    if code < 0:
        return Outcome.FAILED, f"killed by signal {_signal_name(-code)}", None
    if code == 127:
        return Outcome.FAILED, "command not found", code
    if code == 126:
        return Outcome.FAILED, "command not executable", code
    return Outcome.FAILED, f"exit code {code}", code


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False if the group has no process left."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed its user: the group still exists
        return True
    return True


def _group_running(pgid: int) -> bool:
    """Whether a process of the group still runs.

    ``killpg(pgid, 0)`` also succeeds for zombies, and killed orphans stay zombies
    until init reaps them (slowly, or never in some containers), so where ``/proc``
    exists a group of zombies counts as ended.
    """
    if not _signal_group(pgid, 0):
        return False
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as file:
                # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
                fields = file.read().rpartition(b")")[2].split()
        except OSError:  # it ended meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _pidfd_open(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits, where the OS has one."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        fd: int = opener(pid)
    except OSError:  # an older kernel, or a sandbox that forbids it
        return None
    return fd


def _describe(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.E2BIG:
        return "command or payload too large for the OS (Argument list too long)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
