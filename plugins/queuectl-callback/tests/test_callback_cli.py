"""The callback plugin driven through the real ``queuectl`` command and workers."""

from __future__ import annotations

import json
import time
from pathlib import Path

from callback_support import wait_for_lines

from queuectl_core.pluginkit.notifier import JOB_EVENTS
from queuectl_core.testing.pytest_plugin import QueuectlCli


def test_callbacks_run_for_the_chosen_events(queuectl_cli: QueuectlCli, tmp_path: Path) -> None:
    out = tmp_path / "events.txt"
    command = f'echo "$QUEUECTL_EVENT $QUEUECTL_JOB_ID $QUEUECTL_EXIT_CODE" >> {out}'
    queuectl_cli.run("config", "set", "callback_command", command)
    queuectl_cli.run("config", "set", "callback_events", "dead,succeeded")
    queuectl_cli.run("enqueue", "--id", "good", "--command", "true")
    queuectl_cli.run("enqueue", "--id", "bad", "--command", "exit 3", "--max-retries", "0")

    queuectl_cli.run("worker", "run", "--burst")

    lines = wait_for_lines(out, 2)
    assert sorted(lines) == ["dead bad 3", "succeeded good 0"]  # no "enqueued" lines


def test_the_job_json_and_fields_reach_the_callback(
    queuectl_cli: QueuectlCli, tmp_path: Path
) -> None:
    out = tmp_path / "job.json"
    queuectl_cli.run(
        "config", "set", "callback_command", f'printf "%s" "$QUEUECTL_JOB_JSON" > {out}'
    )
    queuectl_cli.run("config", "set", "callback_events", "enqueued")

    queuectl_cli.run("enqueue", "--id", "j1", "--command", "echo hi", "--queue", "mail")

    wait_for_lines(out, 1)
    view = json.loads(out.read_text())
    assert (view["id"], view["queue"], view["state"]) == ("j1", "mail", "pending")


def test_a_slow_callback_is_killed_and_does_not_slow_the_worker(
    queuectl_cli: QueuectlCli, tmp_path: Path
) -> None:
    out = tmp_path / "slow.txt"
    queuectl_cli.run(
        "config",
        "set",
        "callback_command",
        f"echo started >> {out}; sleep 4; echo finished >> {out}",
    )
    queuectl_cli.run("config", "set", "callback_events", "succeeded")
    queuectl_cli.run("config", "set", "callback_timeout", "0.5")
    queuectl_cli.run("enqueue", "--command", "true")

    began = time.monotonic()
    queuectl_cli.run("worker", "run", "--burst")
    assert time.monotonic() - began < 3.5  # the worker waited at most the timeout

    assert wait_for_lines(out, 1) == ["started"]
    time.sleep(max(0.0, began + 5 - time.monotonic()))  # past the callback's own sleep
    assert out.read_text().splitlines() == ["started"]  # killed before "finished"


def test_a_missing_callback_command_never_breaks_the_worker(
    queuectl_cli: QueuectlCli, tmp_path: Path
) -> None:
    queuectl_cli.run("config", "set", "callback_command", str(tmp_path / "no-such-program"))
    queuectl_cli.run("config", "set", "callback_events", "succeeded,started")
    queuectl_cli.run("enqueue", "--id", "fine", "--command", "true")

    queuectl_cli.run("worker", "run", "--burst")

    status = queuectl_cli.json("show", "fine")
    assert status["state"] == "completed"


def test_an_unknown_event_name_is_refused_in_one_line(queuectl_cli: QueuectlCli) -> None:
    queuectl_cli.run("init")  # a refused value creates no queue; config get needs one
    done = queuectl_cli.run("config", "set", "callback_events", "dead,exploded", check=False)

    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert "exploded" in done.stderr
    shown = queuectl_cli.run("config", "get", "callback_events").stdout.strip()
    assert shown == "dead"


BAD_TIMEOUTS = [
    ("0", "must be between 1ms and 1 day"),
    ("-5", "must be between 1ms and 1 day"),
    ("2d", "must be between 1ms and 1 day"),
    ("1e300", "must be between 1ms and 1 day"),
    ("soon", "not a duration"),
]


def test_a_callback_timeout_out_of_range_is_refused_in_one_line(
    queuectl_cli: QueuectlCli,
) -> None:
    queuectl_cli.run("init")  # a refused value creates no queue; config get needs one
    for value, complaint in BAD_TIMEOUTS:
        done = queuectl_cli.run("config", "set", "callback_timeout", value, check=False)

        assert done.returncode == 1, value
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert complaint in done.stderr and "callback_timeout" in done.stderr, done.stderr
    assert queuectl_cli.run("config", "get", "callback_timeout").stdout.strip() == "10"
    queuectl_cli.run("config", "set", "callback_timeout", "1d")  # the bound itself


def test_plugins_lists_the_callback_plugin_with_its_hooks(queuectl_cli: QueuectlCli) -> None:
    plugins = queuectl_cli.json("plugins")

    entry = next(p for p in plugins if p["name"] == "callback")
    hooks = set(entry["hooks"])
    assert {"queuectl_register_settings", "queuectl_job_dead", "queuectl_job_succeeded"} <= hooks


def test_a_failed_attempt_reports_its_retry_time(queuectl_cli: QueuectlCli, tmp_path: Path) -> None:
    out = tmp_path / "failed.txt"
    command = f'echo "$QUEUECTL_EVENT $QUEUECTL_EXIT_CODE $QUEUECTL_RETRY_AT" >> {out}'
    queuectl_cli.run("config", "set", "callback_command", command)
    queuectl_cli.run("config", "set", "callback_events", "failed")
    queuectl_cli.run("enqueue", "--id", "flaky", "--command", "exit 2", "--max-retries", "1")

    queuectl_cli.run("worker", "run", "--burst")

    event, code, retry_at = wait_for_lines(out, 1)[0].split(" ")
    assert (event, code) == ("failed", "2")
    assert retry_at.startswith("20")  # an ISO 8601 time


def test_the_event_list_is_stored_in_canonical_form(queuectl_cli: QueuectlCli) -> None:
    shown = queuectl_cli.run("config", "set", "callback_events", " dead, succeeded ").stdout.strip()

    assert shown == "succeeded,dead"
    listed = queuectl_cli.json("config", "list")
    assert {"name": "callback_events", "value": "succeeded,dead"}.items() <= next(
        entry for entry in listed if entry["name"] == "callback_events"
    ).items()


def test_every_job_event_reaches_the_callback(queuectl_cli: QueuectlCli, tmp_path: Path) -> None:
    out = tmp_path / "events.txt"
    command = f'echo "$QUEUECTL_EVENT $QUEUECTL_JOB_ID" >> {out}'
    queuectl_cli.run("config", "set", "callback_command", command)
    queuectl_cli.run("config", "set", "callback_events", ",".join(JOB_EVENTS))
    queuectl_cli.run("config", "set", "backoff_base", "100")  # no retry during the run
    queuectl_cli.run("enqueue", "--id", "good", "--command", "true")
    queuectl_cli.run("enqueue", "--id", "flaky", "--command", "exit 1", "--max-retries", "1")
    queuectl_cli.run("enqueue", "--id", "doomed", "--command", "exit 1", "--max-retries", "0")
    queuectl_cli.run("enqueue", "--id", "dropped", "--command", "true", "--delay", "1h")
    queuectl_cli.run("cancel", "dropped")

    queuectl_cli.run("worker", "run", "--burst")

    expected = {
        *(f"enqueued {job}" for job in ("good", "flaky", "doomed", "dropped")),
        *(f"started {job}" for job in ("good", "flaky", "doomed")),
        "succeeded good",
        "failed flaky",
        "dead doomed",
        "cancelled dropped",
    }
    lines = wait_for_lines(out, len(expected))
    assert sorted(lines) == sorted(expected)
