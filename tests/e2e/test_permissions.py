"""Everything queuectl creates is private, whatever the umask: directories 0700,
files 0600 (the database and its -wal and -shm, wake-up sockets, the workers' log)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from queuectl_sqlite.wakeup import wake_dir

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(params=[0o000, 0o022], ids=["umask-000", "umask-022"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """This process's umask (and so every command's and worker's) during the test."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    """Every path under ``root`` (itself included) and its permission bits, in octal."""
    paths = [root, *root.rglob("*")]
    return {str(path): oct(stat.S_IMODE(path.lstat().st_mode)) for path in paths}


def assert_private(root: Path) -> None:
    found = modes(root)
    for path, mode in found.items():
        wanted = "0o700" if Path(path).is_dir() else "0o600"
        assert mode == wanted, found


def test_everything_created_is_private(cli: Cli, umask: int) -> None:
    sqlite = "QUEUECTL_DB" in cli.env
    db_root = cli.root / "new"
    if sqlite:  # directories enqueue has to create
        cli.env["QUEUECTL_DB"] = str(db_root / "queues" / "queue.db")
    cli.config(poll_interval="5")  # idle workers wait on their wake-up sockets
    cli.enqueue("--id", "first", "--command", "echo ok >&2; exit 1", "--max-retries", "0")
    if sqlite:
        assert_private(db_root)
    cli.run("worker", "start", "--count", "2")
    cli.wait_state("first", "dead")
    state = cli.root / "state"
    assert (state / "queuectl" / "workers.log").stat().st_size > 0
    assert_private(state)
    if sqlite:
        wake = Path(wake_dir(cli.env["QUEUECTL_DB"]))  # beside the db, or under /tmp
        wait_for(lambda: len(list(wake.glob("*.sock"))) == 2, 10, "both workers to wait")
        names = {path.name for path in (db_root / "queues").iterdir()}
        assert {"queue.db", "queue.db-wal", "queue.db-shm"} <= names
        assert_private(db_root)
        assert_private(wake)


def test_an_existing_log_keeps_its_mode(cli: Cli, umask: int) -> None:
    """queuectl creates private files; one the user made is left as it is."""
    log = cli.root / "shared" / "workers.log"
    log.parent.mkdir()
    log.touch()
    log.chmod(0o640)
    cli.run("worker", "start", "--log-file", str(log))
    assert stat.S_IMODE(log.stat().st_mode) == 0o640
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o777 & ~umask
