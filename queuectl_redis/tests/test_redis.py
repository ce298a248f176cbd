"""What the Redis backend promises beyond the storage contract: options, one hash tag
per namespace, exact counts, wake-ups across connections, persistence warnings, and
riding out a server restart without losing a job."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import fakeredis
import pytest
from click.testing import CliRunner
from queuectl_redis.options import RedisOptions, parse_options, redact
from queuectl_redis.storage import RedisStorage
from queuectl_redis.testing.servers import RedisServer, free_port
from redis.crc import key_slot

from queuectl_core import plugins
from queuectl_core.cli import cli
from queuectl_core.config import resolve
from queuectl_core.errors import ConfigError, StorageError
from queuectl_core.job import Outcome, State, WorkerInfo
from queuectl_core.storage import ClaimRequest, Storage, Transition
from queuectl_core.testing import JobFactory
from queuectl_core.testing.contract.base import LEASE, T0, TO, C, F, P, R, ended, one_per_state

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))


@pytest.fixture
def fake() -> Iterator[RedisStorage]:
    storage = RedisStorage(fakeredis.FakeRedis(server=fakeredis.FakeServer()), "qtest")
    yield storage
    storage.close()


@pytest.fixture
def real(redis_options: dict[str, str]) -> Iterator[RedisStorage]:
    storage = RedisStorage.from_options(redis_options)
    yield storage
    storage.close()


# -- options ---------------------------------------------------------------------------


def test_options_have_defaults_and_parse_text() -> None:
    assert parse_options({}) == RedisOptions()
    parsed = parse_options(
        {
            "url": "rediss://user:pw@redis.example:6380/2",
            "prefix": "jobs.prod",
            "cluster": "TRUE",
            "socket_timeout": "2.5",
            "connect_timeout": "1",
        }
    )
    assert parsed == RedisOptions(
        "rediss://user:pw@redis.example:6380/2", "jobs.prod", True, 2.5, 1.0
    )
    assert parse_options({"url": "unix:///run/redis.sock?db=3"}).url.startswith("unix://")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host": "x"}, "unknown redis option 'host'"),
        ({"url": "http://localhost"}, "must start with redis://"),
        ({"url": "redis://:secret@h/0x", "cluster": "maybe"}, "'cluster' must be true or false"),
        ({"prefix": "a{b}"}, "'prefix' must be non-empty"),
        ({"prefix": " "}, "'prefix' must be non-empty"),
        ({"socket_timeout": "0"}, "'socket_timeout' must be a number of seconds > 0"),
        ({"connect_timeout": "soon"}, "'connect_timeout' must be a number"),
        ({"url": "unix:///s.sock", "cluster": "yes"}, "'cluster' needs a redis://"),
    ],
)
def test_bad_options_are_one_line_config_errors(options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_options(options)
    assert "\n" not in str(caught.value)


def test_a_url_with_a_bad_password_option_never_shows_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_options({"url": "http://user:secret@host/0"})
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:s3cret@db.example:6379/1", "redis://user:***@db.example:6379/1"),
        ("redis://:s3cret@[::1]:6379/0", "redis://:***@[::1]:6379/0"),
        ("unix:///run/r.sock?db=2&password=s3cret", "unix:///run/r.sock?db=2&password=***"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_describe_never_shows_the_password(url: str, shown: str) -> None:
    assert redact(url) == shown
    storage = RedisStorage.from_options({"url": url, "prefix": "team-a"})  # connects lazily
    try:
        assert storage.describe() == f"{shown} (prefix team-a)"
        assert "s3cret" not in storage.describe()
    finally:
        storage.close()


def test_the_backend_is_selected_by_the_environment() -> None:
    url = "redis://127.0.0.1:1/0"
    location = resolve(environ={"QUEUECTL_BACKEND": "redis", "QUEUECTL_REDIS_URL": url})
    assert "redis" in plugins.backends()
    assert (location.backend, location.options) == ("redis", {"url": url})
    storage = location.open()
    try:
        assert isinstance(storage, RedisStorage)
        assert storage.describe() == f"{url} (prefix queuectl)"
    finally:
        storage.close()


# -- keys and counts (fakeredis: fast) --------------------------------------------------


def test_every_key_shares_the_namespace_hash_tag(fake: RedisStorage) -> None:
    job = JobFactory(now=T0)
    one_per_state(fake, job)
    fake.enqueue([job("later", queue="q:3", next_run_at=T0 + 99)])
    fake.save_setting("max_retries", "3")
    fake.register_worker(WorkerInfo("w9", "host", 1))
    keys = fake.client.keys("*")
    assert len(keys) > 20
    assert all(key.startswith(b"{qtest}:") for key in keys)
    assert {key_slot(key) for key in keys} == {key_slot(b"{qtest}")}


def test_counts_stay_exact_through_random_operations(fake: RedisStorage) -> None:
    rng = random.Random(7)
    job = JobFactory(now=T0)
    held: dict[str, str] = {}
    for step in range(400):
        now = T0 + step
        action = rng.choice(["enqueue", "enqueue", "claim", "finish", "cancel", "retry", "purge"])
        if action == "enqueue":
            delay = rng.choice([0, 0, 5])
            fake.enqueue([job(queue=rng.choice("ab"), created_at=now, next_run_at=now + delay)])
        elif action == "claim" and (claim := fake.claim(ClaimRequest("w", None, now, now + LEASE))):
            held[claim.job.id] = claim.token
        elif action == "finish" and held:
            job_id = rng.choice(sorted(held))
            state = rng.choice([C, F, State.DEAD, P])
            transition = Transition(state, ended(Outcome.FAILED, at=now), next_run_at=now + 1)
            assert fake.finish(job_id, held.pop(job_id), transition)
        elif action == "cancel":
            candidates = fake.list_jobs(states=[P, F, R], limit=5)
            if candidates:
                fake.cancel(candidates[0].id, now)
                held.pop(candidates[0].id, None)
        elif action == "retry":
            fake.retry_dead(None, now)
        elif action == "purge":
            fake.purge([C, State.CANCELLED], updated_before=now - 20)
    listed = Counter((j.queue, j.state) for j in fake.list_jobs(limit=100_000))
    assert fake.counts() == dict(listed)
    assert sum(listed.values()) > 50


def test_counts_is_one_hash_read(fake: RedisStorage) -> None:
    job = JobFactory(now=T0)
    fake.enqueue([job(queue=f"q{n % 3}") for n in range(300)])
    assert fake.client.hlen(fake.keys.counts) == 3
    assert fake.counts() == {(f"q{n}", P): 100 for n in range(3)}


def test_a_server_without_config_gives_no_warning(fake: RedisStorage) -> None:
    assert fake.warnings() == []  # fakeredis refuses CONFIG, like many managed servers


# -- a real server -------------------------------------------------------------------------


def test_an_idle_waiter_picks_up_work_within_milliseconds(
    redis_options: dict[str, str],
) -> None:
    worker_side, enqueuer = (RedisStorage.from_options(redis_options) for _ in range(2))
    waiter = worker_side.waiter("w1")
    job = JobFactory()
    pickups: list[float] = []
    try:
        for _ in range(20):
            assert (
                worker_side.claim(ClaimRequest("w1", None, time.time(), time.time() + LEASE))
                is None
            )
            enqueued = threading.Timer(0.02, lambda: enqueuer.enqueue([job()]))
            started = time.monotonic()
            enqueued.start()
            claim = None
            while claim is None and time.monotonic() - started < 5:
                waiter.wait(5.0)
                claim = worker_side.claim(
                    ClaimRequest("w1", None, time.time(), time.time() + LEASE)
                )
            assert claim is not None
            pickups.append(time.monotonic() - started - 0.02)
            assert worker_side.finish(claim.job.id, claim.token, TO[C])
    finally:
        waiter.close()
        worker_side.close()
        enqueuer.close()
    assert statistics.median(pickups) < 0.05, pickups


def test_a_waiter_returns_within_its_timeout_when_nothing_arrives(real: RedisStorage) -> None:
    waiter = real.waiter("w1")
    try:
        started = time.monotonic()
        waiter.wait(0.3)
        assert 0.25 < time.monotonic() - started < 1.0
    finally:
        waiter.close()


def test_warnings_name_a_server_that_persists_nothing(
    redis_binary: str, redis_options: dict[str, str], tmp_path: Path
) -> None:
    durable = RedisStorage.from_options(redis_options)  # AOF on
    assert durable.warnings() == []
    durable.close()
    with RedisServer(tmp_path / "volatile", appendonly=False) as server:
        volatile = RedisStorage.from_options({"url": server.url, "prefix": "w"})
        try:
            (warning,) = volatile.warnings()
            assert "persists nothing" in warning and "\n" not in warning
        finally:
            volatile.close()


def test_an_unreachable_server_is_a_one_line_storage_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    storage = RedisStorage.from_options({"url": url, "connect_timeout": "0.5"})
    started = time.monotonic()
    with pytest.raises(StorageError) as caught:
        storage.counts()
    assert time.monotonic() - started < 5
    assert str(caught.value).startswith(f"cannot reach Redis at {url}")
    assert "\n" not in str(caught.value)
    storage.close()


def test_the_cli_reports_an_unreachable_server_in_one_line(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUEUECTL_")},
        "XDG_CONFIG_HOME": str(tmp_path),
        "QUEUECTL_BACKEND": "redis",
        "QUEUECTL_REDIS_URL": url,
        "QUEUECTL_REDIS_CONNECT_TIMEOUT": "0.5",
    }
    done = subprocess.run([QUEUECTL, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "cannot reach Redis" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_works_against_a_real_server(redis_options: dict[str, str]) -> None:
    args = ["--backend", "redis", "--db", redis_options["url"]]
    env = {"QUEUECTL_REDIS_PREFIX": redis_options["prefix"]}
    runner = CliRunner(env=env)
    enqueued = runner.invoke(cli, [*args, "enqueue", '{"id": "hello", "command": "true"}'])
    assert enqueued.exit_code == 0, enqueued.output
    status = runner.invoke(cli, [*args, "status"])
    assert status.exit_code == 0, status.output
    storage = RedisStorage.from_options(redis_options)
    try:
        assert storage.get("hello").command == "true"
    finally:
        storage.close()


def test_a_restart_is_survived_and_loses_no_job(fresh_redis_server: RedisServer) -> None:
    options = {"url": fresh_redis_server.url, "prefix": "restart", "connect_timeout": "0.5"}
    storage: Storage = RedisStorage.from_options(options)
    job = JobFactory()
    all_ids = [f"job{n}" for n in range(40)]
    storage.enqueue([job(job_id) for job_id in all_ids])
    done: list[str] = []
    outage_errors: list[str] = []
    claim = None
    try:
        while len(done) < len(all_ids):
            if len(done) == 15 and not outage_errors:
                fresh_redis_server.stop()
                try:  # the worker's next round trip fails while the server is down
                    storage.claim(ClaimRequest("w1", None, time.time(), time.time() + LEASE))
                except StorageError as exc:
                    outage_errors.append(str(exc))
                fresh_redis_server.start()
            try:
                if claim is None:
                    claim = storage.claim(
                        ClaimRequest("w1", None, time.time(), time.time() + LEASE)
                    )
                    assert claim is not None
                finished = Transition(C, ended(at=time.time()))
                applied, following = storage.finish_and_claim(
                    claim.job.id,
                    claim.token,
                    finished,
                    ClaimRequest("w1", None, time.time(), time.time() + 30),
                )
                assert applied
                done.append(claim.job.id)
                claim = following
            except StorageError as exc:  # a worker backs off and tries again
                outage_errors.append(str(exc))
                time.sleep(0.1)
    finally:
        storage.close()
    assert outage_errors and all("\n" not in error for error in outage_errors)
    assert sorted(done) == sorted(all_ids)
    reopened = RedisStorage.from_options(options)
    try:
        assert reopened.counts() == {("default", C): 40}
    finally:
        reopened.close()
