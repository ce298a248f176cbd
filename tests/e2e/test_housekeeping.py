"""Deleting finished jobs so the store does not grow forever."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def test_purge_finished_jobs_by_state_and_age(cli: Cli) -> None:
    cli.enqueue("--id", "done", "--command", "true")
    cli.enqueue("--id", "waiting", "--command", "true", "--delay", "1h")
    cli.enqueue("--id", "dropped", "--command", "true", "--delay", "1h")
    cli.run("cancel", "dropped")
    cli.run("worker", "run", "--burst")
    assert cli.json("purge", "--state", "completed", "--older-than", "1h", "--yes") == {"purged": 0}
    purged = cli.json("purge", "--state", "completed", "--state", "cancelled", "--yes")
    assert purged == {"purged": 2}
    assert [job["id"] for job in cli.json("list")] == ["waiting"]
    refused = cli.run("purge", "--state", "pending", check=False)
    assert refused.returncode == 2 and "pending" in refused.stderr
