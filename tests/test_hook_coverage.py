"""The meta-test: every hook spec has a test that proves it and a documented section.

A test claims a hook with ``@pytest.mark.covers_hook("queuectl_...")``. This test
collects the whole suite (as configured in pyproject's testpaths) in a subprocess
and fails for any hook spec that no test claims, or any claim of a hook that does
not exist. The documented sections are checked in ``test_docs.py``.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

from queuectl_core import hookspecs
from tests.test_docs import DOCS, sections

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction))


def claimed_hooks(tmp_path: Path) -> dict[str, list[str]]:
    report = tmp_path / "hooks.json"
    env = {**os.environ, "QUEUECTL_HOOK_COVERAGE_REPORT": str(report)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    claimed: dict[str, list[str]] = json.loads(report.read_text())
    return claimed


def test_every_hook_spec_has_a_test_and_a_section(tmp_path: Path) -> None:
    assert len(HOOKS) >= 13
    claimed = claimed_hooks(tmp_path)
    assert sorted(set(claimed) - set(HOOKS)) == [], "tests claim hooks that do not exist"
    assert [hook for hook in HOOKS if hook not in claimed] == [], "hooks without a test"
    titles = [title for title, _ in sections(DOCS / "plugins.md")]
    undocumented = [hook for hook in HOOKS if not any(hook in title for title in titles)]
    assert undocumented == [], "hooks without a section in docs/plugins.md"
