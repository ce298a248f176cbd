"""Many workers and enqueuers at once: every job runs exactly once."""

from __future__ import annotations

import collections
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e

JOBS = 2000


def test_thousands_of_jobs_four_workers_two_enqueuers_each_runs_once(
    cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / "ran.txt"
    cli.run("worker", "start", "--count", "4")
    batches = []
    for batch in range(2):  # two enqueuers at the same time as the workers claim
        lines = [
            f'{{"id":"j{batch}-{n}","command":"echo $QUEUECTL_JOB_ID >> {out}"}}'
            for n in range(JOBS // 2)
        ]
        batches.append("\n".join(lines))
    enqueuers = [
        subprocess.Popen(
            cli.command("enqueue", "--file", "-"),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=cli.env,
            text=True,
        )
        for _ in batches
    ]
    for proc, text in zip(enqueuers, batches, strict=True):
        proc.communicate(text)
        assert proc.returncode == 0
    singles = [cli.enqueue("--command", f"echo $QUEUECTL_JOB_ID >> {out}") for _ in range(20)]

    def all_done() -> bool:
        return bool(cli.json("status")["states"]["completed"] == JOBS + len(singles))

    wait_for(all_done, 180, lambda: f"not all done: {cli.json('status')}")
    ran = collections.Counter(out.read_text().split())
    assert len(ran) == JOBS + len(singles)
    assert set(ran.values()) == {1}, [job for job, n in ran.items() if n > 1][:10]
    status = cli.json("status")
    assert sum(status["states"].values()) == JOBS + len(singles)
