"""Expiry (``--expires-in``, ``--expires-at``) and retention (``keep_*_for``), through
the real command with detached workers, on SQLite and Redis."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e


def quick(cli: Cli) -> None:
    """Workers that sweep often, so a test never waits long for a heartbeat."""
    cli.config(heartbeat_interval="0.2", poll_interval="0.2")


def test_a_job_no_worker_claims_expires_with_its_dependents(cli: Cli) -> None:
    quick(cli)
    cli.run(
        "enqueue", "--id", "late", "--command", "true", "--queue", "nobody", "--expires-in", "1s"
    )
    cli.run("enqueue", "--id", "next", "--command", "true", "--after", "late")
    cli.run("enqueue", "--id", "fine", "--command", "true", "--expires-in", "1h")
    assert "expires:" in cli.run("show", "late").stdout
    time.sleep(1.1)
    why = cli.run("why", "late").stdout
    assert why.startswith("expired at ") and "will be cancelled by the next worker sweep" in why
    cli.run("worker", "start", "--queue", "default")
    late = cli.wait_state("late", "cancelled", timeout=10)
    assert (late["last_error"], late["attempts"], late["history"]) == ("expired", 0, [])
    assert cli.run("why", "late").stdout.startswith("expired at ")
    assert "will be" not in cli.run("why", "late").stdout
    assert cli.json("why", "late", "--json")["reason"] == "expired"
    assert cli.wait_state("next", "cancelled")["last_error"] == "dependency late cancelled"
    assert cli.wait_state("fine", "completed")["attempts"] == 1


def test_a_claimed_job_past_its_expiry_is_not_run(cli: Cli) -> None:
    quick(cli)
    mark = cli.root / "ran"
    cli.run("enqueue", "--id", "stale", "--command", f"touch {mark}", "--expires-in", "0.3s")
    cli.run("enqueue", "--id", "then", "--command", "true", "--after", "stale", "--after-any")
    time.sleep(0.5)
    cli.run("worker", "start")
    stale = cli.wait_state("stale", "cancelled", timeout=10)
    assert stale["last_error"] == "expired"
    # its worker claimed it (the heartbeat's sweep comes later): the claim is closed
    [claimed] = stale["history"]
    assert (claimed["outcome"], claimed["error"]) == ("cancelled", "expired")
    assert not mark.exists()
    assert cli.wait_state("then", "completed")["attempts"] == 1  # after_any: it ended


#: Bad expiries and the start of their one-line error.
BAD = [
    (["--expires-in", "0"], "expires_in must be between 1ms and 10 years"),
    (["--expires-in", "soon"], "expires_in: 'soon' is not a duration"),
    (["--expires-in", "5s", "--delay", "10s"], "expires_in must be after its run time"),
    (["--expires-at", "2020-01-01T00:00:00Z"], "expires_at must be after now"),
    (["--expires-at", "2999-01-01T00:00:00Z"], "expires_at must be a time up to 10 years"),
    (["--expires-at", "tomorrow"], "expires_at: 'tomorrow' is not an ISO 8601 time"),
    (
        [json.dumps({"command": "true", "expires_at": "2030-01-01T00:00:00Z", "expires_in": 5})],
        "give expires_at or expires_in, not both",
    ),
]


def test_bad_expiry_is_one_line_and_stores_nothing(cli: Cli) -> None:
    cli.run("enqueue", "--id", "before", "--command", "true")
    for args, error in BAD:
        flags = ["--command", "true"] if args[0].startswith("--") else []
        done = cli.run("enqueue", *flags, *args, check=False)
        assert done.returncode != 0
        assert done.stderr.startswith(f"Error: {error}") and done.stderr.count("\n") == 1, done
    assert [job["id"] for job in cli.json("list", "--json")] == ["before"]


def test_retention_purges_completed_and_cancelled_jobs_but_keeps_dead_ones(
    cli: Cli, tmp_path: Path
) -> None:
    ran = tmp_path / "child-ran"  # the child leaves a mark: it is purged soon after
    quick(cli)
    cli.config(keep_completed_for="1s", keep_cancelled_for="1s")
    assert cli.run("config", "get", "keep_dead_for").stdout == "off\n"
    cli.run("enqueue", "--id", "done", "--command", "true")
    cli.run("enqueue", "--id", "failed", "--command", "false", "--max-retries", "0")
    cli.run("enqueue", "--id", "parent", "--command", "sleep 3")
    cli.run("enqueue", "--id", "child", "--command", f"touch {ran}", "--after", "parent")
    cli.run("enqueue", "--id", "gone", "--command", "true", "--delay", "1h")
    cli.run("cancel", "gone")
    cli.run("worker", "start", "--count", "2")

    def ids() -> set[str]:
        return {job["id"] for job in cli.json("list", "--json")}

    # what completed and the cancellation go, the dead stay; the child waiting for a
    # parent that completed and went too ran all the same (polling its state would race
    # its own purge a second later: it leaves a mark instead)
    wait_for(lambda: not ids() & {"done", "gone"}, timeout=15, what=ids)
    wait_for(lambda: ids() == {"failed"}, timeout=20, what=ids)
    assert ran.exists()
    assert cli.job("failed")["state"] == "dead"
