"""Fixtures: the real ``queuectl`` command over a SQLite file in tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))


@pytest.fixture
def queuectl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``queuectl --db tmp_path/queue.db ARGS``; no user config leaks in."""
    for name in list(os.environ):
        if name.startswith("QUEUECTL_"):
            monkeypatch.delenv(name)
    for name in ("CONFIG", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    db = str(tmp_path / "queue.db")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [QUEUECTL, "--db", db, *args], capture_output=True, text=True, timeout=60
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run
