"""Property-based: generated job specs, settings and ids thrown at the command.

Whatever comes in (lone surrogates, control characters, 40-digit numbers, floats
where whole numbers belong, NaN, empty strings, payloads nested thousands deep),
the command either stores a valid job or exits 1 (2 for usage errors) with one
``Error: ...`` line, never a traceback or "internal error", stores nothing when it
fails, and ``list``, ``show`` and ``status`` keep working.

The bulk of the examples run in-process with click's ``CliRunner`` against a real
SQLite file; a few run the installed ``queuectl`` on SQLite and on Redis.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from queuectl_core import limits
from queuectl_core.cli import cli
from queuectl_core.testing.cli import QueuectlCli

#: Strings that have broken queuectl, or sit on a bound, or look like a value.
AWKWARD = [
    "", " ", "0", "-1", "1e300", "-1e300", "1e-300", "nan", "inf", "1" + "0" * 30, "9" * 400,
    "\ud800", "a\udcffb", "\x00", "\x1b[31m", "é", "🚀", "10y", "3653d", "3652d", "1h30m",
    "2147483648", "-2147483649", "1000001", "0001-01-01T00:00:00", "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z", "2030-01-01T00:00:00+14:00", "true", "null", "{", "[]",
]  # fmt: skip
CORE_SETTINGS = [
    "max_retries", "backoff_base", "backoff_max", "job_timeout", "kill_grace",
    "lease_timeout", "heartbeat_interval", "poll_interval", "output_limit",
]  # fmt: skip

any_text = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(st.characters(exclude_categories=()), max_size=30),  # surrogates included
)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
scalars = st.one_of(st.none(), numbers, any_text)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)
field_values = st.one_of(scalars, json_values)


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` values nine times in ten, anything else the tenth."""
    return st.integers(0, 9).flatmap(lambda n: good if n else field_values)


times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)
)
durations = st.one_of(
    st.floats(min_value=0, max_value=1e12),
    st.integers(min_value=-10, max_value=10**12),
    st.sampled_from(["30s", "5m", "2h", "1d", "3652d", "3653d", "1e300", "1e-300", "-1s"]),
)
wholes = st.one_of(
    st.integers(min_value=-(2**32), max_value=2**32),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,110}", fullmatch=True)
#: A job spec: mostly values of the right kind, each sometimes anything at all.
specs = st.fixed_dictionaries(
    {"command": mostly(st.one_of(st.just("true"), any_text.filter(str.strip)))},
    optional={
        "id": mostly(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,210}", fullmatch=True)),
        "type": mostly(st.sampled_from(["shell", "shell", "echo"])),
        "payload": mostly(json_values),
        "queue": mostly(names),
        "priority": mostly(wholes),
        "max_retries": mostly(wholes),
        "timeout": mostly(durations),
        "delay": mostly(durations),
        "run_at": mostly(times.map(lambda moment: moment.isoformat())),
        "unique_key": mostly(st.one_of(st.sampled_from(["k", "k2"]), any_text)),
        "unique_for": mostly(durations),
        "unique_while": mostly(
            st.lists(st.sampled_from(["pending", "completed", "waiting", "running"]), max_size=3)
        ),
    },
)
depths = st.sampled_from([None] * 12 + [1, 63, 64, 65, 300, 5000])
flag_names = st.sampled_from(
    ["--priority", "--max-retries", "--timeout", "--delay", "--run-at", "--id", "--queue",
     "--type", "--payload", "--unique-key", "--unique-for", "--unique-while"]
)  # fmt: skip
flags = st.one_of(st.just([]), st.just([]), st.lists(st.tuples(flag_names, any_text), max_size=2))


def job_json(spec: dict[str, Any], depth: int | None) -> str:
    """The spec as JSON text (NaN and infinity included); ``depth``: a payload of
    that many nested arrays instead of the spec's."""
    text = json.dumps(spec, allow_nan=True)  # surrogates become "\\ud800" escapes
    if depth is None:
        return text
    return text[:-1] + (", " if spec else "") + '"payload": ' + "[" * depth + "]" * depth + "}"


def argv_safe(text: str) -> str:
    """What a real command line can carry: no NUL byte."""
    return text.replace("\x00", "")


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def check_outcome(result: Result) -> None:
    """Success, or exit 1/2 with one ``Error:`` line; never a crash."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "internal error" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code:
        assert result.stderr.strip().splitlines()[-1].startswith("Error: "), result.stderr
    if result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def listed(db: Path) -> list[dict[str, Any]]:
    result = invoke(db, "list", "--json", "--limit", "1000000")
    assert result.exit_code == 0, result.stderr
    jobs: list[dict[str, Any]] = json.loads(result.stdout)
    return jobs


def reading_works(db: Path, job_id: str | None = None) -> None:
    for args in (["list"], ["status"], ["status", "--json"], ["dlq", "list"]):
        result = invoke(db, *args)
        assert result.exit_code == 0, (args, result.stderr)
    if job_id is not None:
        for args in (["show", job_id], ["show", job_id, "--json"]):
            result = invoke(db, *args)
            assert result.exit_code == 0, (args, result.stderr)


EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def db(isolated_env: Path) -> Path:
    """A queue that exists (reading commands read only such a queue)."""
    path = isolated_env / "queue.db"
    assert invoke(path, "init").exit_code == 0
    return path


@EXAMPLES
@given(spec=specs, depth=depths, flag_list=flags)
def test_generated_jobs_are_stored_valid_or_refused_in_one_line(
    db: Path, spec: dict[str, Any], depth: int | None, flag_list: list[tuple[str, str]]
) -> None:
    before = len(listed(db))
    args = ["enqueue", argv_safe(job_json(spec, depth))]
    for name, value in flag_list:
        args += [name, argv_safe(value)]
    result = invoke(db, *args, "--json")
    check_outcome(result)
    jobs = listed(db)
    if result.exit_code:
        event(f"refused: {result.stderr.split(':')[1].strip()[:20]}")
        assert len(jobs) == before  # nothing stored
        reading_works(db)
        return
    job = json.loads(result.stdout)
    if job.pop("duplicate"):  # its key named a job stored by an earlier example
        event("duplicate")
        assert len(jobs) == before and job in jobs
        return
    event("stored")
    assert len(jobs) == before + 1 and jobs[0]["id"] == job["id"]
    assert jobs[0] == job
    assert_valid(job)
    reading_works(db, job["id"])


def assert_valid(job: dict[str, Any]) -> None:
    """Every value of a stored job inside its range (:mod:`queuectl_core.limits`)."""
    assert job["unreadable"] == []
    assert limits.PRIORITY[0] <= job["priority"] <= limits.PRIORITY[1]
    assert job["max_retries"] is None or 0 <= job["max_retries"] <= limits.MAX_RETRIES[1]
    assert job["timeout"] is None or limits.within(job["timeout"], limits.TIMEOUT)
    created, due = (
        datetime.fromisoformat(job[name].replace("Z", "+00:00")).timestamp()
        for name in ("created_at", "next_run_at")
    )
    assert limits.EARLIEST_RUN_AT <= due <= created + limits.DELAY[1] + 1
    text = json.dumps([job["command"], job["payload"], job["id"], job["queue"]], ensure_ascii=False)
    text.encode()  # valid Unicode: no lone surrogate
    assert "\x00" not in job["command"]
    key = job["unique_key"]
    assert key is None or 0 < len(key.strip()) <= len(key) <= limits.UNIQUE_KEY_LENGTH
    assert key is None or not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in key)
    assert job["unique_for"] is None or limits.within(job["unique_for"], limits.UNIQUE_FOR)


@EXAMPLES
@given(name=st.one_of(st.sampled_from(CORE_SETTINGS), any_text), value=any_text)
def test_generated_settings_are_taken_or_refused_in_one_line(
    db: Path, name: str, value: str
) -> None:
    result = invoke(db, "config", "set", argv_safe(name), argv_safe(value))
    check_outcome(result)
    listing = invoke(db, "config", "list", "--json")
    assert listing.exit_code == 0, listing.stderr
    if result.exit_code == 0:
        assert invoke(db, "config", "get", name).exit_code == 0
    reading_works(db)


@EXAMPLES
@given(job_id=any_text, command=st.sampled_from(["show", "logs", "cancel", "dlq retry"]))
def test_generated_ids_are_answered_in_one_line(db: Path, job_id: str, command: str) -> None:
    check_outcome(invoke(db, *command.split(), argv_safe(job_id)))
    reading_works(db)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=specs, depth=depths)
def test_the_installed_command_agrees(
    backend_cli: QueuectlCli, spec: dict[str, Any], depth: int | None
) -> None:
    """A few examples through the real ``queuectl``, on SQLite and on Redis."""
    backend_cli.run("init")  # idempotent; reading commands read only a queue that exists
    before = len(backend_cli.json("list"))
    done = backend_cli.run("enqueue", argv_safe(job_json(spec, depth)), check=False)
    assert done.returncode in (0, 1, 2), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    after = backend_cli.json("list")
    if done.returncode:
        assert done.stderr.startswith("Error: ") or "\nError: " in done.stderr, done.stderr
        assert len(after) == before
    else:
        assert len(after) == before + 1
        backend_cli.run("show", done.stdout.strip())
    backend_cli.run("status")
