"""``worker start`` and ``worker stop`` when things are not as they should be: workers
already running, an unwritable log or HOME, a store that cannot be written."""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from queuectl_redis.testing.servers import RedisServer

from queuectl_core.config import Location
from queuectl_core.testing.cli import QueuectlCli
from tests.e2e.conftest import Cli, pid_alive, wait_for

pytestmark = pytest.mark.e2e


def mount_tmpfs(directory: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted on ``directory`` while the test runs (root only)."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        if subprocess.run(["umount", str(directory)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(directory)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB file system, to fill up."""
    yield from mount_tmpfs(tmp_path / "small", "size=3m,mode=0700")


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody can write to, root included."""
    yield from mount_tmpfs(tmp_path / "read-only", "ro,size=1m")


def fill(disk: Path, name: str = "filler") -> Path:
    """Fill the file system up; the file that fills it."""
    filler = disk / name
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    return filler


def local_pids(cli: Cli) -> set[int]:
    """The pids of the registered workers and of their supervisors."""
    return {p for w in cli.workers() for p in (w["pid"], w["extra"].get("supervisor_pid")) if p}


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


# -- a second worker start --------------------------------------------------------------


def test_worker_start_refuses_while_workers_run_here_unless_added(cli: Cli) -> None:
    cli.run("worker", "start", "--count", "2")
    again = cli.run("worker", "start", check=False)
    line = one_error_line(again)
    assert "2 workers of this backend already run on this host" in line
    assert "--add" in line
    assert len(cli.workers()) == 2

    added = cli.json("worker", "start", "--add", "--count", "1")
    assert len(added) == 1
    assert len(cli.workers()) == 3

    cli.run("worker", "stop")
    cli.run("worker", "start")  # nothing runs any more: no flag needed
    assert len(cli.workers()) == 1


def test_stale_registry_entries_do_not_count_as_running(cli: Cli) -> None:
    cli.run("worker", "start")
    [worker] = cli.workers()
    subprocess.run(["kill", "-KILL", str(worker["extra"]["supervisor_pid"]), str(worker["pid"])])
    wait_for(lambda: not pid_alive(worker["pid"]), 10, "the worker to die")
    cli.run("worker", "start")  # the dead worker's entry is not a running worker


# -- unwritable log or HOME ---------------------------------------------------------------


def test_worker_start_names_a_log_path_it_cannot_write(cli: Cli) -> None:
    cli.run("init")  # the refused start creates no queue; worker list needs one
    blocker = cli.root / "a-file"
    blocker.write_text("")
    log = blocker / "workers.log"
    line = one_error_line(cli.run("worker", "start", "--log-file", str(log), check=False))
    assert line == f"Error: cannot write the workers' log {log}: {blocker}: Not a directory"
    assert cli.workers() == []


def test_worker_start_names_a_read_only_log_directory(cli: Cli, read_only_dir: Path) -> None:
    cli.run("init")  # the refused start creates no queue; worker list needs one
    log = read_only_dir / "logs" / "workers.log"
    line = one_error_line(cli.run("worker", "start", "--log-file", str(log), check=False))
    assert str(log) in line and "Read-only file system" in line
    assert cli.workers() == []


def test_worker_start_with_an_unwritable_home(cli: Cli, read_only_dir: Path) -> None:
    cli.run("init")  # the refused start creates no queue; worker list needs one
    cli.env["HOME"] = str(read_only_dir)
    del cli.env["XDG_STATE_HOME"]  # the log goes to ~/.local/state/queuectl/workers.log
    line = one_error_line(cli.run("worker", "start", check=False))
    assert f"{read_only_dir}/.local/state/queuectl/workers.log" in line
    assert "Read-only file system" in line
    assert cli.workers() == []


# -- worker stop with a store that cannot be written ------------------------------------------


def assert_stopped_with_a_note(cli: Cli, pids: set[int], reason: str) -> None:
    done = cli.run("worker", "stop", "--timeout", "1", check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped 2 workers"
    [note] = done.stderr.strip().splitlines()
    assert note.startswith("Warning: could not store the stop request")
    assert reason in note, note
    assert not [pid for pid in pids if pid_alive(pid)]


def test_worker_stop_stops_workers_when_the_database_is_full(
    queuectl_cli: QueuectlCli, small_disk: Path
) -> None:
    cli = queuectl_cli
    cli.env["QUEUECTL_DB"] = str(small_disk / "queue.db")
    long = long_command()
    cli.enqueue("--id", "long", "--command", long)
    cli.run("worker", "start", "--count", "2")
    cli.wait_state("long", "processing")
    pids = local_pids(cli)
    filler = fill(small_disk)
    for extra in range(5):  # the workers' own writes may free a little (a WAL checkpoint)
        refused = cli.run("enqueue", "--command", "true", check=False)
        if refused.returncode != 0:
            break
        fill(small_disk, f"filler-more-{extra}")
    assert "disk is full" in refused.stderr
    fill(small_disk, "filler-2")  # what emptying the write-ahead log after that failure freed

    assert_stopped_with_a_note(cli, pids, "disk is full")
    assert not _sleepers(long)

    filler.unlink()  # space again: a later stop cleans up what could not be stored
    assert cli.run("worker", "stop").stderr == ""
    assert cli.workers() == []
    assert cli.job("long")["state"] in ("pending", "failed")


def test_worker_stop_stops_workers_when_redis_refuses_writes(
    queuectl_cli: QueuectlCli, fresh_redis_server: RedisServer
) -> None:
    cli = queuectl_cli
    cli.use_backend(Location("redis", {"url": fresh_redis_server.url}).environ())
    long = long_command()
    cli.enqueue("--id", "long", "--command", long)
    cli.run("worker", "start", "--count", "2")
    cli.wait_state("long", "processing")
    pids = local_pids(cli)
    with fresh_redis_server.client() as client:
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1")  # every write is refused: OOM
        try:
            assert_stopped_with_a_note(cli, pids, "maxmemory")
        finally:
            client.config_set("maxmemory", "0")
    assert not _sleepers(long)
    assert cli.run("worker", "stop").stderr == ""
    assert cli.workers() == []
    assert cli.job("long")["state"] in ("pending", "failed")


def long_command() -> str:
    """A long job's command no other test (running beside this one) runs: its
    processes are looked for by their exact command line."""
    return f"sleep {300 + random.random():.6f}"


def _sleepers(command: str) -> list[str]:
    """The processes running ``command`` (exactly)."""
    pgrep = shutil.which("pgrep")
    assert pgrep is not None
    found = subprocess.run([pgrep, "-fx", command], capture_output=True, text=True, check=False)
    return found.stdout.split()
