"""``queuectl metrics`` after known runs of real detached workers, on SQLite and Redis."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from metrics_support import Samples, scrape, value

from queuectl_core.testing.pytest_plugin import QueuectlCli, pid_alive, wait_for

COUNTERS = ("enqueued", "succeeded", "failed", "retried", "dead", "cancelled")
STATES = ("pending", "processing", "completed", "failed", "dead", "cancelled")
MAIL = "mail:eu"  # a colon in a queue name must survive the stats encoding


def known_jobs(marker: Path) -> list[dict[str, object]]:
    """7 jobs in ``default`` and 2 in ``mail:eu``; see the expectations below."""
    flaky = f"test -e {marker} || {{ touch {marker}; exit 1; }}"  # fails once, then succeeds
    return [
        {"id": "ok-1", "command": "true"},
        {"id": "ok-2", "command": "true"},
        {"id": "slow", "command": "sleep 0.3"},
        {"id": "flaky", "command": flaky, "max_retries": 2},
        {"id": "doomed", "command": "exit 3", "max_retries": 1},
        {"id": "later", "command": "true", "delay": "1h"},
        {"id": "dropped", "command": "true", "delay": "1h"},
        {"id": "mail-1", "command": "true", "queue": MAIL},
        {"id": "mail-2", "command": "true", "queue": MAIL},
    ]


#: Counters after the run: 9 attempts in default (ok x2, slow, flaky x2, doomed x2).
EXPECTED_COUNTERS = {
    "default": dict(enqueued=7, succeeded=4, failed=3, retried=2, dead=1, cancelled=1),
    MAIL: dict(enqueued=2, succeeded=2, failed=0, retried=0, dead=0, cancelled=0),
}
EXPECTED_ATTEMPTS = {"default": 7, MAIL: 2}
EXPECTED_STATES = {
    "default": {"pending": 1, "completed": 4, "dead": 1, "cancelled": 1},
    MAIL: {"completed": 2},
}


def counter(samples: Samples, name: str, queue: str) -> float:
    return value(samples, f"queuectl_jobs_{name}_total", queue=queue)


def assert_counters(samples: Samples) -> None:
    for queue, expected in EXPECTED_COUNTERS.items():
        assert {name: counter(samples, name, queue) for name in COUNTERS} == expected, queue


def assert_job_gauges(samples: Samples, **changes: int) -> None:
    for queue, expected in EXPECTED_STATES.items():
        wanted = {state: expected.get(state, 0) for state in STATES}
        if queue == "default":
            wanted.update(changes)
        got = {state: value(samples, "queuectl_jobs", queue=queue, state=state) for state in STATES}
        assert got == wanted, queue


def assert_histograms(samples: Samples) -> None:
    for queue, attempts in EXPECTED_ATTEMPTS.items():
        for histogram in ("job_duration_seconds", "job_queue_wait_seconds"):
            name = f"queuectl_{histogram}"
            assert value(samples, f"{name}_count", queue=queue) == attempts
            assert value(samples, f"{name}_bucket", queue=queue, le="+Inf") == attempts
    # every first attempt waited at least the second between enqueue and worker start;
    # only the two retries (due 0.1 s after their failure) may have waited less
    first_attempts = {"default": 5, MAIL: 2}
    for queue, count in first_attempts.items():
        wait = "queuectl_job_queue_wait_seconds"
        assert value(samples, f"{wait}_sum", queue=queue) >= count * 1.0
        assert value(samples, f"{wait}_bucket", queue=queue, le="0.5") <= attempts_retried(queue)
    duration = "queuectl_job_duration_seconds"
    assert value(samples, f"{duration}_sum", queue="default") >= 0.3  # "sleep 0.3"
    assert value(samples, f"{duration}_bucket", queue="default", le="0.25") <= 6  # not "slow"


def attempts_retried(queue: str) -> int:
    return EXPECTED_COUNTERS[queue]["retried"]


@pytest.mark.covers_hook(
    "queuectl_job_enqueued",
    "queuectl_job_started",
    "queuectl_job_succeeded",
    "queuectl_job_failed",
    "queuectl_job_dead",
    "queuectl_job_cancelled",
    "queuectl_register_commands",
)
def test_a_known_run_is_counted_exactly(queuectl: QueuectlCli, tmp_path: Path) -> None:
    queuectl.run("config", "set", "backoff_max", "0.1")  # retries are due 0.1 s after a failure
    jobs = known_jobs(tmp_path / "flaky-marker")
    queuectl.run("enqueue", "--file", "-", input="".join(json.dumps(job) + "\n" for job in jobs))
    enqueued_at = time.monotonic()
    queuectl.run("cancel", "dropped")
    time.sleep(max(0.0, enqueued_at + 1.0 - time.monotonic()))  # a known minimum queue wait

    queuectl.run("worker", "start", "--count", "2")

    # while the workers run: counts arrive within about a second, without a stop
    def all_counted() -> bool:
        samples = scrape(queuectl)
        return (
            counter(samples, "succeeded", "default") == 4
            and counter(samples, "dead", "default") == 1
            and counter(samples, "succeeded", MAIL) == 2
        )

    wait_for(all_counted, 20, "the workers' counts")
    running = scrape(queuectl)
    assert value(running, "queuectl_workers") == 2
    assert sum(v for (name, _), v in running.items() if name == "queuectl_host_workers") == 2

    queuectl.run("worker", "stop")

    samples = scrape(queuectl)
    assert_counters(samples)
    assert_histograms(samples)
    assert_job_gauges(samples)
    assert value(samples, "queuectl_workers") == 0
    assert value(samples, "queuectl_workers_stale") == 0
    assert not [name for name, _ in samples if name == "queuectl_host_workers"]

    queuectl.run("dlq", "purge", "--yes")  # the job is gone; the count of jobs that died is not

    purged = scrape(queuectl)
    assert_counters(purged)
    assert_job_gauges(purged, dead=0)


@pytest.mark.covers_hook("queuectl_worker_stopped")
def test_a_worker_that_stops_writes_its_last_counts_at_once(queuectl: QueuectlCli) -> None:
    queuectl.run("enqueue", "--command", "true")
    queuectl.run("enqueue", "--command", "exit 1", "--max-retries", "0", "--queue", "q2")

    queuectl.run("worker", "run", "--burst")  # exits right after its last job, well within 1 s

    samples = scrape(queuectl)
    assert counter(samples, "enqueued", "default") == 1
    assert counter(samples, "succeeded", "default") == 1
    assert (counter(samples, "failed", "q2"), counter(samples, "dead", "q2")) == (1, 1)
    assert counter(samples, "retried", "q2") == 0
    assert value(samples, "queuectl_job_duration_seconds_count", queue="q2") == 1


def test_an_empty_backend_has_every_metric_family(queuectl_cli: QueuectlCli) -> None:
    text = queuectl_cli.run("metrics").stdout

    for name in (
        "queuectl_jobs",
        "queuectl_workers",
        "queuectl_workers_stale",
        "queuectl_host_workers",
        *(f"queuectl_jobs_{counter}_total" for counter in COUNTERS),
        "queuectl_job_duration_seconds",
        "queuectl_job_queue_wait_seconds",
    ):
        assert f"# TYPE {name} " in text
    assert value(scrape(queuectl_cli), "queuectl_workers") == 0


def test_the_global_options_choose_the_backend(queuectl_cli: QueuectlCli, tmp_path: Path) -> None:
    other = str(tmp_path / "other.db")
    queuectl_cli.run("--db", other, "enqueue", "--command", "true", "--queue", "elsewhere")

    here = scrape(queuectl_cli)
    there = queuectl_cli.run("--db", other, "metrics").stdout

    assert not [labels for _, labels in here if ("queue", "elsewhere") in labels]
    assert 'queuectl_jobs_enqueued_total{queue="elsewhere"} 1.0' in there


def test_a_backend_that_cannot_be_read_is_a_one_line_error(
    queuectl_cli: QueuectlCli, tmp_path: Path
) -> None:
    (tmp_path / "a-directory").mkdir()

    done = queuectl_cli.run("--db", str(tmp_path / "a-directory"), "metrics", check=False)

    assert done.returncode == 1
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "a-directory" in done.stderr


def test_plugins_lists_the_metrics_plugin(queuectl_cli: QueuectlCli) -> None:
    plugins = queuectl_cli.json("plugins")

    entry = next(plugin for plugin in plugins if plugin["name"] == "metrics")
    assert {"queuectl_job_succeeded", "queuectl_register_commands"} <= set(entry["hooks"])
    assert "serve" in queuectl_cli.run("metrics", "--help").stdout


def test_the_flushing_thread_never_takes_a_workers_stop_signal(queuectl_cli: QueuectlCli) -> None:
    """Two stop signals at once: the second, arriving while the first is pending, goes
    to a thread that does not block it; it must not be ours, or the idle worker sleeps
    through its poll_interval."""
    queuectl_cli.run("config", "set", "poll_interval", "30")
    queuectl_cli.run("worker", "start")
    queuectl_cli.run("enqueue", "--id", "first", "--command", "true")  # starts our thread
    wait_for(lambda: queuectl_cli.json("show", "first")["state"] == "completed", 10, "the job")
    (worker,) = queuectl_cli.json("worker", "list")

    os.kill(worker["pid"], signal.SIGTERM)
    os.kill(worker["pid"], signal.SIGINT)

    wait_for(lambda: not pid_alive(worker["pid"]), 5, "the worker to exit (not 30 s later)")
