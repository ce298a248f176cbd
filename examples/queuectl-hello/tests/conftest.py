"""Fixtures: the real ``queuectl`` command over a SQLite file in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def queuectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``queuectl --db tmp_path/queue.db ARGS``; no user config leaks in, and the
    workers a test started are stopped at its end."""
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    db = str(tmp_path / "queue.db")
    started: list[bool] = []

    def run(
        *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [QUEUECTL, "--db", db, *args],
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert done.returncode == 0, done.stderr
        started.append(args[:2] == ("worker", "start"))
        return done

    yield run
    if any(started):
        run("worker", "stop", "--force", "--timeout", "10", check=False)
