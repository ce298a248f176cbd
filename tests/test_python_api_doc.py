"""docs/python-api.md stays true: its Python blocks run, in order, on a fresh SQLite
queue, with the real ``queuectl`` command for the worker one."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from queuectl_core.testing.cli import isolate

DOC = Path(__file__).parents[1] / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)


def test_every_example_of_the_python_api_page_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("QUEUECTL_DB", str(tmp_path / "queue.db"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 6
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{DOC.name} block {number}", "exec"), {})
        except Exception as exc:  # name the block that broke
            raise AssertionError(f"block {number} of {DOC.name} failed: {exc!r}") from exc
    printed = capsys.readouterr().out
    assert "pending 10" in printed
    assert "delay: '-5s'" in printed
