"""Quick jobs through the real CLI: workers claim and store them in batches, and still
run each exactly once, on every backend."""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

JOBS = 5000

HANDLERS = '''
import os

def record(path, name):
    """Append one line: O_APPEND writes this small never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (name + "\\n").encode())
    finally:
        os.close(fd)
'''


def test_two_workers_run_thousands_of_quick_jobs_exactly_once(cli: Cli, tmp_path: Path) -> None:
    site = tmp_path / "handlers"
    site.mkdir()
    (site / "prefetch_handlers.py").write_text(HANDLERS)
    cli.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), cli.env.get("PYTHONPATH")]))
    ran = tmp_path / "ran.txt"
    specs = (
        {
            "id": f"q{n:04d}",
            "type": "python",
            "command": "prefetch_handlers:record",
            "payload": {"path": str(ran), "name": f"q{n:04d}"},
        }
        for n in range(JOBS)
    )
    cli.run("enqueue", "--file", "-", input="\n".join(json.dumps(spec) for spec in specs))

    cli.run("worker", "start", "--count", "2")

    def all_done() -> bool:
        return bool(cli.json("status")["states"]["completed"] == JOBS)

    wait_for(all_done, 180, lambda: f"not all done: {cli.json('status')}")
    runs = collections.Counter(ran.read_text().split())
    assert sorted(runs) == [f"q{n:04d}" for n in range(JOBS)]
    assert [name for name, times in runs.items() if times > 1] == []
    status = cli.json("status")
    assert sum(status["states"].values()) == JOBS
    for name in ("q0000", f"q{JOBS // 2:04d}", f"q{JOBS - 1:04d}"):
        job = cli.job(name)
        [attempt] = job["history"]
        assert attempt["started_at"] <= attempt["finished_at"]  # ISO 8601, UTC
        assert (attempt["outcome"], job["attempts"]) == ("succeeded", 1)
