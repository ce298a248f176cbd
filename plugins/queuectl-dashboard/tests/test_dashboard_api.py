"""The JSON API over real HTTP: every endpoint, filters, paging and the error cases."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from dashboard_support import Client, run_burst

from queuectl_core.job import State, WorkerInfo
from queuectl_core.overview import overview
from queuectl_core.queue import Queue
from queuectl_core.storage import ClaimRequest

# -- status --------------------------------------------------------------------------------


def test_status_is_what_queuectl_status_shows(
    client: Client, queue: Queue, jobs: dict[str, State]
) -> None:
    status = client.json("/api/status")
    assert status == overview(queue)
    assert status["states"] == {
        "pending": 1,
        "processing": 0,
        "completed": 3,
        "failed": 0,
        "dead": 2,
        "cancelled": 1,
        "waiting": 0,
    }
    assert status["queues"]["mail"]["dead"] == 1 and status["queues"]["default"]["pending"] == 1
    assert status["success_rate"] == pytest.approx(3 / 5)
    assert (status["backend"], status["location"]) == ("sqlite", queue.storage.describe())


def test_status_shows_live_workers_and_the_job_each_runs(client: Client, queue: Queue) -> None:
    queue.enqueue(id="busy", command="sleep 60")
    now = time.time()
    worker = WorkerInfo(id="w-1", host="here", pid=123, started_at=now, heartbeat_at=now)
    queue.storage.register_worker(worker)
    queue.storage.register_worker(WorkerInfo(id="w-old", host="gone", pid=9, heartbeat_at=1.0))
    claim = queue.storage.claim(ClaimRequest("w-1", None, now, now + 60))
    assert claim is not None and claim.job.id == "busy"
    status = client.json("/api/status")
    workers = {worker["id"]: worker for worker in status["workers"]}
    assert status["live_workers"] == 1 and status["states"]["processing"] == 1
    assert workers["w-1"]["live"] and workers["w-1"]["current_jobs"] == ["busy"]
    assert not workers["w-old"]["live"] and workers["w-old"]["current_jobs"] == []


# -- the job list --------------------------------------------------------------------------


def ids(page: dict[str, Any]) -> list[str]:
    return [job["id"] for job in page["jobs"]]


def test_jobs_newest_first_with_the_total(client: Client, jobs: dict[str, State]) -> None:
    page = client.json("/api/jobs")
    assert (page["total"], page["limit"], page["offset"]) == (7, 50, 0)
    assert ids(page)[:2] == ["dropped", "later"]
    assert set(ids(page)) == set(jobs)
    first = page["jobs"][0]
    assert (first["state"], first["command"], first["queue"]) == (
        "cancelled",
        "echo never",
        "default",
    )


def test_jobs_filtered_by_state_and_queue(client: Client, jobs: dict[str, State]) -> None:
    dead = client.json("/api/jobs?state=dead")
    assert sorted(ids(dead)) == ["broken", "mail-bounce"] and dead["total"] == 2
    mail = client.json("/api/jobs?queue=mail")
    assert sorted(ids(mail)) == ["bytes", "mail-1", "mail-bounce"] and mail["total"] == 3
    both = client.json("/api/jobs?state=dead&queue=mail")
    assert ids(both) == ["mail-bounce"] and both["total"] == 1
    several = client.json("/api/jobs?state=pending,cancelled&state=dead&queue=default")
    assert sorted(ids(several)) == ["broken", "dropped", "later"] and several["total"] == 3
    assert client.json("/api/jobs?state=&queue=")["total"] == 7  # empty: any
    assert client.json("/api/jobs?queue=nowhere") == {
        "jobs": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


def test_jobs_in_pages(client: Client, queue: Queue) -> None:
    queue.enqueue_many({"id": f"job-{number:02}", "command": "true"} for number in range(12))
    pages = [client.json(f"/api/jobs?limit=5&offset={offset}") for offset in (0, 5, 10, 15)]
    assert [len(page["jobs"]) for page in pages] == [5, 5, 2, 0]
    assert all(page["total"] == 12 for page in pages)
    seen = [job_id for page in pages for job_id in ids(page)]
    assert sorted(seen) == [f"job-{number:02}" for number in range(12)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state=bogus", "unknown state 'bogus'; states: pending, processing, completed,"),
        ("limit=0", "limit must be from 1 to 500, not 0"),
        ("limit=501", "limit must be from 1 to 500, not 501"),
        ("limit=ten", "limit must be a whole number, not 'ten'"),
        ("offset=-1", "offset must be at least 0, not -1"),
        ("offset=1&offset=2", "offset given more than once"),
    ],
)
def test_bad_job_list_parameters_are_400(client: Client, query: str, message: str) -> None:
    response = client.get(f"/api/jobs?{query}")
    assert response.status == 400
    assert response.error.startswith(message)


# -- one job, its history and output ---------------------------------------------------------


def test_a_job_with_its_history(client: Client, queue: Queue) -> None:
    queue.enqueue(id="flaky", command="exit 2", max_retries=1)
    queue.set_setting("backoff_base", "1")
    run_burst(queue)  # attempt 1 fails; the retry is due a second later
    time.sleep(max(0.0, queue.get("flaky").next_run_at - time.time()))
    run_burst(queue)
    job = client.json("/api/jobs/flaky")
    assert (job["state"], job["attempts"], job["last_error"]) == ("dead", 2, "exit code 2")
    history = job["history"]
    assert [(a["number"], a["outcome"], a["exit_code"]) for a in history] == [
        (1, "failed", 2),
        (2, "failed", 2),
    ]
    assert "stdout" not in history[0] and history[0]["stdout_bytes"] == 0
    assert job["why"] == {
        "reason": "dead",
        "text": "in the dead letter queue after 2 attempts: exit code 2",
    }


def test_a_job_says_why_its_dependency_holds_it_back_or_cancelled_it(
    client: Client, queue: Queue
) -> None:
    queue.enqueue(id="parent", command="exit 1", max_retries=0)
    queue.enqueue(id="child", command="true", after=["parent"])
    waiting = client.json("/api/jobs/child")
    assert (waiting["state"], waiting["after"]) == ("waiting", ["parent"])
    assert waiting["why"]["reason"] == "waiting"
    assert (
        waiting["why"]["text"]
        == "waiting for 1 of its 1 dependencies to complete: parent (pending)"
    )
    run_burst(queue)
    cancelled = client.json("/api/jobs/child")
    assert cancelled["state"] == "cancelled"
    assert cancelled["why"]["reason"] == "dependency_failed"
    assert (
        "dependency parent dead (queuectl dlq retry parent resumes it)" in cancelled["why"]["text"]
    )


def test_schedules_as_schedule_list_shows_them(client: Client, queue: Queue) -> None:
    assert client.json("/api/schedules") == []
    queue.add_schedule("nightly", {"command": "true"}, cron="0 3 * * *", timezone="Europe/Berlin")
    queue.add_schedule("often", {"command": "true", "env": {"TOKEN": "s3cret"}}, every="10m")
    queue.pause_schedule("often")
    queue.run_schedule("often")
    run_burst(queue)
    nightly, often = client.json("/api/schedules")
    assert (nightly["name"], nightly["cron"], nightly["timezone"]) == (
        "nightly",
        "0 3 * * *",
        "Europe/Berlin",
    )
    assert nightly["paused"] is False and nightly["last_job_id"] is None
    assert (often["every"], often["paused"], often["last_state"]) == (600.0, True, "completed")
    assert often["job"]["env"] == {"TOKEN": "********"}
    assert "s3cret" not in client.get("/api/schedules").text


def test_an_unknown_job_is_404(client: Client, jobs: dict[str, State]) -> None:
    for path in ("/api/jobs/nope", "/api/jobs/nope/logs"):
        response = client.get(path)
        assert response.status == 404
        assert response.error == "no job with id 'nope'"


def test_logs_of_the_last_attempt_as_json_and_as_text(
    client: Client, jobs: dict[str, State]
) -> None:
    logs = client.json("/api/jobs/hello/logs")
    assert (logs["number"], logs["outcome"]) == (1, "succeeded")
    assert (logs["stdout"], logs["stderr"]) == ("hello\n", "warn\n")
    assert client.json("/api/jobs/hello/logs?attempt=1") == logs
    text = client.get("/api/jobs/broken/logs?stream=stderr")
    assert text.status == 200 and text.text == "oops\n"
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get("/api/jobs/broken/logs?stream=stdout&attempt=1").body == b""


def test_undecodable_output_is_replaced_in_text_and_exact_in_base64(
    client: Client, jobs: dict[str, State]
) -> None:
    exact = "café ".encode() + b"\xff end"
    logs = client.json("/api/jobs/bytes/logs")
    assert logs["stdout"] == "café \ufffd end"
    assert base64.b64decode(logs["stdout_base64"]) == exact
    assert client.get("/api/jobs/bytes/logs?stream=stdout").text == "café \ufffd end"


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/jobs/later/logs", 404, "job 'later' has not run yet"),
        ("/api/jobs/hello/logs?attempt=3", 404, "job 'hello' has no attempt 3; attempts: 1"),
        ("/api/jobs/hello/logs?attempt=first", 400, "attempt must be a whole number"),
        ("/api/jobs/hello/logs?attempt=0", 400, "attempt must be at least 1, not 0"),
        ("/api/jobs/hello/logs?stream=both", 400, "stream must be stdout or stderr"),
    ],
)
def test_bad_log_requests(
    client: Client, jobs: dict[str, State], path: str, status: int, message: str
) -> None:
    response = client.get(path)
    assert response.status == status
    assert response.error.startswith(message)


# -- cancel -----------------------------------------------------------------------------------


def test_cancel_a_pending_job(client: Client, queue: Queue, jobs: dict[str, State]) -> None:
    response = client.post("/api/jobs/later/cancel")
    assert response.status == 200
    assert (response.json()["id"], response.json()["state"]) == ("later", "cancelled")
    assert queue.get("later").state is State.CANCELLED


def test_cancel_errors(client: Client, queue: Queue, jobs: dict[str, State]) -> None:
    finished = client.post("/api/jobs/hello/cancel", {})
    assert finished.status == 409 and "completed" in finished.error
    assert queue.get("hello").state is State.COMPLETED
    unknown = client.post("/api/jobs/nope/cancel")
    assert unknown.status == 404 and unknown.error == "no job with id 'nope'"


# -- the dead letter queue ------------------------------------------------------------------------


def test_retry_dead_jobs_by_id(client: Client, queue: Queue, jobs: dict[str, State]) -> None:
    response = client.post("/api/dlq/retry", {"ids": ["broken"]})
    assert (response.status, response.json()) == (200, {"retried": ["broken"]})
    job = queue.get("broken")
    assert (job.state, job.attempts) == (State.PENDING, 0)
    assert queue.get("mail-bounce").state is State.DEAD


def test_retry_every_dead_job(client: Client, queue: Queue, jobs: dict[str, State]) -> None:
    response = client.post("/api/dlq/retry", {"all": True})
    assert sorted(response.json()["retried"]) == ["broken", "mail-bounce"]
    assert client.json("/api/status")["states"]["dead"] == 0


def test_purge_dead_jobs(client: Client, queue: Queue, jobs: dict[str, State]) -> None:
    assert client.post("/api/dlq/purge", {"ids": ["mail-bounce"]}).json() == {"purged": 1}
    assert client.get("/api/jobs/mail-bounce").status == 404
    assert client.post("/api/dlq/purge", {"all": True}).json() == {"purged": 1}
    assert client.json("/api/jobs?state=dead")["total"] == 0
    assert client.post("/api/dlq/purge", {"all": True}).json() == {"purged": 0}


@pytest.mark.parametrize("action", ["retry", "purge"])
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, 'give "ids" or "all": true (not both)'),
        ({"all": False}, 'give "ids" or "all": true (not both)'),
        ({"ids": ["broken"], "all": True}, 'give "ids" or "all": true (not both)'),
        ({"ids": []}, '"ids" must be a non-empty list of job ids'),
        ({"ids": "broken"}, '"ids" must be a non-empty list of job ids'),
        ({"ids": [1]}, '"ids" must be a non-empty list of job ids'),
        ({"all": "yes"}, '"all" must be true or false'),
        ({"all": True, "force": True}, "unknown field 'force'; fields: ids, all"),
        (["broken"], "expected a JSON object"),
    ],
)
def test_malformed_dlq_requests_are_400(
    client: Client, queue: Queue, jobs: dict[str, State], action: str, body: Any, message: str
) -> None:
    response = client.post(f"/api/dlq/{action}", body)
    assert response.status == 400
    assert response.error.startswith(message)
    assert queue.get("broken").state is State.DEAD


@pytest.mark.parametrize("action", ["retry", "purge"])
def test_dlq_ids_are_all_or_nothing(
    client: Client, queue: Queue, jobs: dict[str, State], action: str
) -> None:
    alive = client.post(f"/api/dlq/{action}", {"ids": ["broken", "hello"]})
    assert alive.status == 409 and "hello" in alive.error
    unknown = client.post(f"/api/dlq/{action}", {"ids": ["broken", "nope"]})
    assert unknown.status == 404 and unknown.error == "no job with id 'nope'"
    assert queue.get("broken").state is State.DEAD
