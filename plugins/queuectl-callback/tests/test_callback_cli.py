"""The callback plugin driven through the real ``queuectl`` command and workers."""

from __future__ import annotations

import json
import time
from pathlib import Path

from callback_support import wait_for_lines


def test_callbacks_run_for_the_chosen_events(queuectl, tmp_path: Path) -> None:
    out = tmp_path / "events.txt"
    command = f'echo "$QUEUECTL_EVENT $QUEUECTL_JOB_ID $QUEUECTL_EXIT_CODE" >> {out}'
    queuectl("config", "set", "callback_command", command)
    queuectl("config", "set", "callback_events", "dead,succeeded")
    queuectl("enqueue", "--id", "good", "--command", "true")
    queuectl("enqueue", "--id", "bad", "--command", "exit 3", "--max-retries", "0")

    queuectl("worker", "run", "--burst")

    lines = wait_for_lines(out, 2)
    assert sorted(lines) == ["dead bad 3", "succeeded good 0"]  # no "enqueued" lines


def test_the_job_json_and_fields_reach_the_callback(queuectl, tmp_path: Path) -> None:
    out = tmp_path / "job.json"
    queuectl("config", "set", "callback_command", f'printf "%s" "$QUEUECTL_JOB_JSON" > {out}')
    queuectl("config", "set", "callback_events", "enqueued")

    queuectl("enqueue", "--id", "j1", "--command", "echo hi", "--queue", "mail")

    wait_for_lines(out, 1)
    view = json.loads(out.read_text())
    assert (view["id"], view["queue"], view["state"]) == ("j1", "mail", "pending")


def test_a_slow_callback_is_killed_and_does_not_slow_the_worker(queuectl, tmp_path: Path) -> None:
    out = tmp_path / "slow.txt"
    queuectl(
        "config",
        "set",
        "callback_command",
        f"echo started >> {out}; sleep 4; echo finished >> {out}",
    )
    queuectl("config", "set", "callback_events", "succeeded")
    queuectl("config", "set", "callback_timeout", "0.5")
    queuectl("enqueue", "--command", "true")

    began = time.monotonic()
    queuectl("worker", "run", "--burst")
    assert time.monotonic() - began < 3.5  # the worker waited at most the timeout

    assert wait_for_lines(out, 1) == ["started"]
    time.sleep(max(0.0, began + 5 - time.monotonic()))  # past the callback's own sleep
    assert out.read_text().splitlines() == ["started"]  # killed before "finished"


def test_a_missing_callback_command_never_breaks_the_worker(queuectl, tmp_path: Path) -> None:
    queuectl("config", "set", "callback_command", str(tmp_path / "no-such-program"))
    queuectl("config", "set", "callback_events", "succeeded,started")
    queuectl("enqueue", "--id", "fine", "--command", "true")

    queuectl("worker", "run", "--burst")

    status = json.loads(queuectl("show", "fine", "--json").stdout)
    assert status["state"] == "completed"


def test_an_unknown_event_name_is_refused_in_one_line(queuectl) -> None:
    done = queuectl("config", "set", "callback_events", "dead,exploded", check=False)

    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert "exploded" in done.stderr
    shown = queuectl("config", "get", "callback_events").stdout.strip()
    assert shown == "dead"


def test_plugins_lists_the_callback_plugin_with_its_hooks(queuectl) -> None:
    plugins = json.loads(queuectl("plugins", "--json").stdout)

    entry = next(p for p in plugins if p["name"] == "callback")
    hooks = set(entry["hooks"])
    assert {"queuectl_register_settings", "queuectl_job_dead", "queuectl_job_succeeded"} <= hooks


def test_a_failed_attempt_reports_its_retry_time(queuectl, tmp_path: Path) -> None:
    out = tmp_path / "failed.txt"
    command = f'echo "$QUEUECTL_EVENT $QUEUECTL_EXIT_CODE $QUEUECTL_RETRY_AT" >> {out}'
    queuectl("config", "set", "callback_command", command)
    queuectl("config", "set", "callback_events", "failed")
    queuectl("enqueue", "--id", "flaky", "--command", "exit 2", "--max-retries", "1")

    queuectl("worker", "run", "--burst")

    event, code, retry_at = wait_for_lines(out, 1)[0].split(" ")
    assert (event, code) == ("failed", "2")
    assert retry_at.startswith("20")  # an ISO 8601 time


def test_the_event_list_is_stored_in_canonical_form(queuectl) -> None:
    shown = queuectl("config", "set", "callback_events", " dead, succeeded ").stdout.strip()

    assert shown == "succeeded,dead"
    listed = json.loads(queuectl("config", "list", "--json").stdout)
    assert {"name": "callback_events", "value": "succeeded,dead"}.items() <= next(
        entry for entry in listed if entry["name"] == "callback_events"
    ).items()
