"""The webhook plugin through the real ``queuectl`` command, real detached workers on
SQLite, and a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from webhook_support import Receiver, closed_port_url, configure, readme_verify

from queuectl_core.testing.pytest_plugin import QueuectlCli, pid_alive, wait_for

SECRET = "correct horse battery staple"

pytestmark = pytest.mark.e2e


def test_a_dead_job_sends_one_signed_post_that_names_it(
    cli: QueuectlCli, receiver: Receiver
) -> None:
    configure(cli, webhook_urls=receiver.url("/ok"), webhook_secret=SECRET)  # events: dead
    cli.run("worker", "start", "--count", "1")
    cli.run("enqueue", "--id", "doomed", "--command", "exit 3", "--max-retries", "0")
    cli.run("enqueue", "--id", "fine", "--command", "true")  # succeeded: not a chosen event

    [request] = receiver.wait_for("/ok", 1)
    wait_for(lambda: cli.json("show", "fine")["state"] == "completed", 30, "job fine")
    cli.run("worker", "stop")

    assert receiver.received() == [request]  # one event, one try
    verify = readme_verify()
    signature = request.headers["x-queuectl-signature"]
    assert verify(SECRET, signature, request.body)
    assert not verify("another secret", signature, request.body)
    assert not verify(SECRET, signature, request.body.replace(b"doomed", b"doomer"))
    body = request.json()
    assert (body["event"], body["job"]["id"], body["job"]["state"]) == ("dead", "doomed", "dead")
    assert cli.run("config", "get", "webhook_secret").stdout == "********\n"
    assert SECRET not in cli.run("config", "list").stdout
    assert cli.run("config", "get", "webhook_secret", "--reveal").stdout == SECRET + "\n"
    assert (body["attempt"]["number"], body["attempt"]["exit_code"]) == (1, 3)
    assert body["retry_at"] is None and body["test"] is False
    shown = cli.json("show", "doomed")
    assert body["job"] == {
        name: value for name, value in shown.items() if name not in ("history", "why")
    }
    assert request.headers["x-queuectl-delivery"] == body["id"]
    assert request.headers["x-queuectl-event"] == "dead"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("queuectl-webhook/")


def test_a_flaky_endpoint_is_retried_with_backoff_until_it_answers(
    cli: QueuectlCli, receiver: Receiver
) -> None:
    configure(
        cli,
        webhook_urls=receiver.url("/flaky/2/a"),
        webhook_events="succeeded",
        webhook_secret=SECRET,
        webhook_retries=3,
    )
    cli.run("worker", "start", "--count", "1")
    cli.run("enqueue", "--id", "ok", "--command", "true")

    tries = receiver.wait_for("/flaky/2/a", 3, timeout=15)
    cli.run("worker", "stop")

    assert len(receiver.received()) == 3  # 500, 500, then 200: no fourth try
    assert {r.headers["x-queuectl-delivery"] for r in tries} == {tries[0].json()["id"]}
    assert {r.body for r in tries} == {tries[0].body}  # the same event each time
    verify = readme_verify()
    assert all(verify(SECRET, r.headers["x-queuectl-signature"], r.body) for r in tries)
    # backoff: at least half of 1 s, then of 2 s, between the tries
    assert tries[1].at - tries[0].at >= 0.5
    assert tries[2].at - tries[1].at >= 1.0


def test_hung_and_dead_endpoints_hold_up_neither_jobs_nor_workers(
    cli: QueuectlCli, receiver: Receiver
) -> None:
    jobs, timeout = 30, 2.0
    urls = [receiver.url("/hang"), closed_port_url(), receiver.url("/ok")]
    configure(
        cli,
        webhook_urls=" ".join(urls),
        webhook_events="started,succeeded",
        webhook_timeout=timeout,
        webhook_retries=3,
    )
    cli.run("worker", "start", "--count", "2")
    lines = (json.dumps({"id": f"quick-{n}", "command": "true"}) for n in range(jobs))
    cli.run("enqueue", "--file", "-", input="\n".join(lines) + "\n")

    # far below jobs * timeout (60 s): one hung try per job would not get there
    wait_for(
        lambda: cli.json("status")["states"]["completed"] == jobs,
        20,
        lambda: f"jobs not all completed: {cli.json('status')['states']}",
    )
    receiver.wait_for("/ok", 2 * jobs, timeout=10)  # the healthy URL is not held up either
    workers = cli.json("worker", "list")
    assert len(workers) == 2 and all(pid_alive(worker["pid"]) for worker in workers), workers
    assert receiver.received("/hang")  # it was tried, and is still hanging

    began = time.monotonic()
    cli.run("worker", "stop")  # graceful: waits at most min(webhook_timeout, 5 s)
    assert time.monotonic() - began < 20
    assert not any(pid_alive(worker["pid"]) for worker in workers)
    log = (cli.root / "state" / "queuectl" / "workers.log").read_text()
    assert "undelivered deliveries after waiting 2s at exit" in log, log
    assert "Traceback" not in log, log


def test_no_delivery_thread_can_take_a_workers_stop_signal(
    cli: QueuectlCli, receiver: Receiver
) -> None:
    """A signal sent to a process goes to any thread that does not block it, and only
    the main thread's handlers end an idle worker's wait at once: every other thread of
    a worker must block the stop signals, as core's heartbeat thread does."""
    configure(cli, webhook_urls=receiver.url("/ok"), webhook_events="succeeded")
    cli.run("worker", "start")
    cli.run("enqueue", "--id", "first", "--command", "true")
    receiver.wait_for("/ok", 1)  # the worker's delivery thread runs now
    [worker] = cli.json("worker", "list")

    masks = blocked_signals(worker["pid"])

    assert len(masks) >= 3  # the main thread, the heartbeat, ours
    for tid, blocked in masks.items():
        if tid != worker["pid"]:
            assert {signal.SIGTERM, signal.SIGINT, signal.SIGHUP} <= blocked, tid


def blocked_signals(pid: int) -> dict[int, set[int]]:
    """The signals each thread of ``pid`` blocks (``SigBlk`` in /proc), by thread id."""
    masks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = dict(
            line.split(":", 1) for line in (task / "status").read_text().splitlines() if ":" in line
        )
        mask = int(fields["SigBlk"], 16)
        masks[int(task.name)] = {n for n in range(1, 65) if mask >> (n - 1) & 1}
    return masks


def test_enqueued_events_leave_before_the_command_exits_within_a_bound(
    cli: QueuectlCli, receiver: Receiver
) -> None:
    configure(
        cli,
        webhook_urls=f"{receiver.url('/ok')},{receiver.url('/hang')}",
        webhook_events="enqueued",
        webhook_timeout=1,
    )

    began = time.monotonic()
    done = cli.run("enqueue", "--id", "e1", "--command", "true", "--queue", "mail")
    elapsed = time.monotonic() - began

    [request] = receiver.received("/ok")  # already there: no waiting
    job = request.json()["job"]
    assert (job["id"], job["state"], job["queue"]) == ("e1", "pending", "mail")
    assert elapsed < 6  # the hung URL held the exit for about webhook_timeout, no longer
    assert "giving up on 1 undelivered delivery" in done.stderr


BAD_SETTINGS = [
    ("webhook_urls", "ftp://files.example.com/in", "not an http:// or https:// URL"),
    ("webhook_urls", "https://ok.example.com/ http://", "has no host"),
    ("webhook_urls", "http://example.com:http/", "invalid port"),
    ("webhook_urls", "https://user:pw@example.com/", "credentials"),
    ("webhook_events", "dead,exploded", "unknown event 'exploded'"),
    ("webhook_timeout", "0", "must be between 1ms and 1 hour"),
    ("webhook_timeout", "2h", "must be between 1ms and 1 hour"),
    ("webhook_timeout", "1e300", "must be between 1ms and 1 hour"),
    ("webhook_timeout", "soon", "not a duration"),
    ("webhook_retries", "-1", "must be between 0 and 20"),
    ("webhook_retries", "21", "must be between 0 and 20"),
    ("webhook_retries", "1" + "0" * 40, "must be between 0 and 20"),
    ("webhook_retries", "many", "must be between 0 and 20"),
]


def test_bad_settings_are_refused_in_one_line(cli: QueuectlCli) -> None:
    cli.run("init")  # a refused value creates no queue; config list needs one
    for name, value, complaint in BAD_SETTINGS:
        done = cli.run("config", "set", name, value, check=False)

        assert done.returncode == 1, (name, value)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert complaint in done.stderr and name in done.stderr, done.stderr

    settings = {entry["name"]: entry for entry in cli.json("config", "list")}
    assert all(settings[name]["source"] == "default" for name, _, _ in BAD_SETTINGS)


def test_the_url_list_is_stored_in_canonical_form(cli: QueuectlCli) -> None:
    shown = cli.run("config", "set", "webhook_urls", " http://a.example/x,https://b.example/y ")

    assert shown.stdout.strip() == "http://a.example/x https://b.example/y"


def test_webhook_test_reports_each_url_and_fails_if_one_does(
    cli: QueuectlCli, receiver: Receiver
) -> None:
    dead = closed_port_url()
    urls = [receiver.url("/ok"), receiver.url("/fail"), dead]
    configure(cli, webhook_urls=" ".join(urls), webhook_secret=SECRET)

    done = cli.run("webhook", "test", "--event", "failed", "--json", check=False)

    assert done.returncode == 1
    report = {entry["url"]: entry for entry in json.loads(done.stdout)}
    assert (report[urls[0]]["delivered"], report[urls[0]]["status"]) == (True, 200)
    assert (report[urls[1]]["delivered"], report[urls[1]]["status"]) == (False, 500)
    assert report[dead]["detail"] == "connection refused"
    assert len(receiver.received("/fail")) == 1  # one try, no retries
    [request] = receiver.received("/ok")
    body = request.json()
    assert (body["event"], body["test"], body["job"]["state"]) == ("failed", True, "failed")
    assert body["retry_at"] is not None
    assert readme_verify()(SECRET, request.headers["x-queuectl-signature"], request.body)

    good = cli.run("webhook", "test", "--url", receiver.url("/ok"))
    assert "ok" in good.stdout.split() and "200 OK" in good.stdout


def test_webhook_test_without_a_url_says_how_to_set_one(cli: QueuectlCli) -> None:
    done = cli.run("webhook", "test", check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: no webhook URL: set one with `queuectl config set webhook_urls URL`, or pass --url"
    ]
    bad = cli.run("webhook", "test", "--url", "mailto:ops@example.com", check=False)
    assert bad.returncode == 2 and "not an http:// or https:// URL" in bad.stderr


def test_plugins_lists_the_webhook_plugin_with_its_hooks(cli: QueuectlCli) -> None:
    entry = next(plugin for plugin in cli.json("plugins") if plugin["name"] == "webhook")

    assert entry["distribution"] == "queuectl-webhook"
    assert {
        "queuectl_register_settings",
        "queuectl_register_commands",
        "queuectl_job_dead",
        "queuectl_worker_stopped",
    } <= set(entry["hooks"])
