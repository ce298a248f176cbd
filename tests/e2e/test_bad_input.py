"""Bad values at the real command, on SQLite and Redis: each is refused with one
line naming the field and its range, and nothing is stored.

The ranges are those of :mod:`queuectl_core.limits` (docs/configuration.md, "Value
ranges"). Before them, a delay of 1e300 s or a run_at in the year 9999 was stored
and made ``list`` and ``show`` fail for every job afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

DELAY = "delay must be between 0s and 10 years"
RUN_AT = "run_at must be between 1970-01-01T00:00:00Z and 10 years from now"
TIMEOUT = "timeout must be between 1ms and 1 year"
PRIORITY = "priority must be between -2147483648 and 2147483647"
MAX_RETRIES = "max_retries must be between 0 and 1000000"
NOT_UNICODE = "is not valid Unicode text"
NOT_UTF8_ARGUMENT = "is not UTF-8 text"
AFTER_UNKNOWN = "Error: after: no job with id 'nope'"

#: (arguments, what the one-line error says, exit status)
REFUSED: dict[str, tuple[list[str], str, int]] = {
    "delay 1e300": (["enqueue", "-c", "true", "--delay", "1e300"], DELAY, 1),
    "delay of 11 years": (["enqueue", "-c", "true", "--delay", "4018d"], DELAY, 1),
    "delay in JSON": (["enqueue", '{"command": "true", "delay": 1e20}'], DELAY, 1),
    "delay infinite": (["enqueue", '{"command": "true", "delay": 1e999}'], DELAY, 1),
    "run_at year 9999": (["enqueue", "-c", "true", "--run-at", "9999-12-31T23:59:59Z"], RUN_AT, 1),
    "run_at year 1": (["enqueue", "-c", "true", "--run-at", "0001-01-01T00:00:00"], "run_at", 1),
    "run_at 1969": (["enqueue", "-c", "true", "--run-at", "1969-07-20T20:17:00Z"], RUN_AT, 1),
    "timeout 1e-300": (["enqueue", "-c", "true", "--timeout", "1e-300"], TIMEOUT, 1),
    "timeout 1e300": (["enqueue", "-c", "true", "--timeout", "1e300"], TIMEOUT, 1),
    "timeout negative": (["enqueue", "-c", "true", "--timeout", "-5"], TIMEOUT, 1),
    "priority 10**23": (["enqueue", "-c", "true", "--priority", "1" + "0" * 23], PRIORITY, 1),
    "priority in JSON": (["enqueue", '{"command": "true", "priority": -2147483649}'], PRIORITY, 1),
    "max_retries 10**30": (
        ["enqueue", '{"command": "true", "max_retries": 1' + "0" * 30 + "}"],
        MAX_RETRIES,
        1,
    ),
    "max_retries negative": (["enqueue", "-c", "true", "--max-retries", "-1"], MAX_RETRIES, 1),
    "5000 digits": (["enqueue", '{"command": "x", "priority": ' + "9" * 5000 + "}"], "digits", 1),
    "lone surrogate in command": (["enqueue", '{"command": "echo \\ud800"}'], NOT_UNICODE, 1),
    "lone surrogate in payload": (
        ["enqueue", '{"command": "true", "payload": {"k\\udfff": 1}}'],
        f"payload {NOT_UNICODE}",
        1,
    ),
    "lone surrogate in id": (["enqueue", '{"id": "a\\ud800", "command": "true"}'], "id must be", 1),
    "empty id": (["enqueue", '{"id": "", "command": "true"}'], "id must be 1-200", 1),
    "control character in id": (["enqueue", "--id", "a\x01b", "-c", "true"], "id must be", 1),
    "queue of 101 characters": (["enqueue", "-q", "q" * 101, "-c", "x"], "queue must be 1-100", 1),
    "NaN payload": (["enqueue", '{"command": "true", "payload": NaN}'], "payload must be JSON", 1),
    "payload of 65 levels": (
        ["enqueue", "-c", "true", "--payload", "[" * 65 + "]" * 65],
        "payload is nested too deeply (at most 64 levels)",
        1,
    ),
    "payload deeper than Python recurses": (
        ["enqueue", "-c", "true", "--payload", "[" * 60000 + "]" * 60000],
        "--payload: JSON nested too deeply",
        1,
    ),
    "job deeper than Python recurses": (
        ["enqueue", '{"command": "true", "payload": ' + "[" * 60000 + "]" * 60000 + "}"],
        "job: JSON nested too deeply",
        1,
    ),
    "after an unknown id": (["enqueue", "-c", "true", "--after", "nope"], AFTER_UNKNOWN, 1),
    "after 101 ids": (
        ["enqueue", json.dumps({"command": "true", "after": [f"j{n}" for n in range(101)]})],
        "after may name at most 100 jobs, got 101",
        1,
    ),
    "after not a list": (["enqueue", '{"command": "true", "after": "a"}'], "after must be", 1),
    "after not an id": (["enqueue", "-c", "true", "--after", "a b"], "after: 'a b' is not", 1),
    "after an id twice": (["enqueue", "-c", "true", "--after", "a,a"], "names 'a' twice", 1),
    "after a lone surrogate": (
        ["enqueue", '{"command": "true", "after": ["a\\ud800"]}'],
        "is not a job id",
        1,
    ),
    "after itself": (["enqueue", "--id", "c", "-c", "x", "--after", "c"], "cycle c -> c", 1),
    "after_any without after": (["enqueue", "-c", "true", "--after-any"], "after_any needs", 1),
    "after_any not a boolean": (
        ["enqueue", '{"command": "true", "after": ["a"], "after_any": 1}'],
        "after_any must be true or false, got 1",
        1,
    ),
    "wait --timeout negative": (["wait", "--all", "--timeout", "-1"], "--timeout", 2),
    "wait --timeout 1e300": (["wait", "--all", "--timeout", "1e300"], "--timeout", 2),
    "wait for an unknown id": (["wait", "nope"], "no job with id 'nope'", 2),
    "command not UTF-8": (["enqueue", "-c", "echo \udcff"], NOT_UTF8_ARGUMENT, 2),
    "id not UTF-8": (["show", "j\udce9"], NOT_UTF8_ARGUMENT, 2),
    "list --limit 10**20": (["list", "--limit", "1" + "0" * 20], "--limit", 2),
    "list --offset 10**20": (["list", "--offset", "1" + "0" * 20], "--offset", 2),
    "list --limit negative": (["list", "--limit", "-1"], "--limit", 2),
    "dlq list --limit 10**20": (["dlq", "list", "--limit", "1" + "0" * 20], "--limit", 2),
    "config max_retries 10**20": (
        ["config", "set", "max_retries", "1" + "0" * 20],
        "max_retries: must be between 0 and 1000000",
        1,
    ),
    "config max_retries negative": (
        ["config", "set", "max_retries", "-1"],
        "must be between 0 and 1000000",
        1,
    ),
    "config job_timeout 1e300": (
        ["config", "set", "job_timeout", "1e300"],
        "job_timeout: must be between 1ms and 1 year (or 0 for none)",
        1,
    ),
    "config poll_interval 1e-7": (
        ["config", "set", "poll_interval", "0.0000001"],
        "poll_interval: must be between 1ms and 1 hour",
        1,
    ),
    "config backoff_max 11 years": (
        ["config", "set", "backoff_max", "4018d"],
        "backoff_max: must be between 1ms and 10 years",
        1,
    ),
    "config kill_grace 2h": (["config", "set", "kill_grace", "2h"], "between 0s and 1 hour", 1),
    "config output_limit 400 digits": (
        ["config", "set", "output_limit", "9" * 400],
        "output_limit: ",
        1,
    ),
    "config value not UTF-8": (["config", "set", "max_retries", "\udcff"], NOT_UTF8_ARGUMENT, 2),
}


def test_every_bad_value_is_refused_in_one_line_and_nothing_is_stored(cli: Cli) -> None:
    cli.run("init")  # reading commands read only a queue that exists
    settings = cli.json("config", "list")
    wrong = []
    for name, (args, message, code) in REFUSED.items():
        done = cli.run(*args, check=False)
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        if (
            done.returncode != code
            or message not in last
            or not last.startswith("Error: ")
            or "internal error" in done.stderr
            or "Traceback" in done.stderr
            or (code == 1 and len(done.stderr.strip().splitlines()) != 1)
        ):
            wrong.append(f"{name}: exit {done.returncode}, stderr {done.stderr[-300:]!r}")
    assert not wrong, "\n".join(wrong)
    assert cli.json("list") == []
    assert cli.json("config", "list") == settings
    assert cli.json("status")["total"] == 0


def test_size_limits_are_named(cli: Cli, tmp_path: Path) -> None:
    """A command over 128 KiB and a payload over 1 MiB (128 KiB for a shell job, which
    gets it in an environment variable) are refused with the limit in the error."""
    jobs = {
        "command": {"command": "x" * 200_000},
        "payload": {"type": "echo", "payload": {"text": "x" * 2_000_000}},
        "shell payload": {"command": "true", "payload": "x" * 200_000},
    }
    messages = {
        "command": "command must be at most 128 KiB of UTF-8, got 195 KiB",
        "payload": "payload must be at most 1 MiB as JSON, got 1.91 MiB",
        "shell payload": "payload of a shell job (it is passed in $QUEUECTL_PAYLOAD) must be "
        "at most 128 KiB as JSON",
    }
    cli.run("init")  # reading commands read only a queue that exists
    for name, job in jobs.items():
        path = tmp_path / "job.jsonl"
        path.write_text(json.dumps(job) + "\n")
        done = cli.run("enqueue", "--file", str(path), check=False)
        assert done.returncode == 1, done.stderr
        assert (
            done.stderr
            == f"Error: line 1: {messages[name]}" + done.stderr.split(messages[name], 1)[1]
        )
        assert len(done.stderr.splitlines()) == 1
    assert cli.json("list") == []


def test_values_at_the_bounds_are_accepted(cli: Cli) -> None:
    job_id = cli.enqueue(
        "-c", "true", "--delay", "3652d", "--timeout", "365d", "--priority", "2147483647",
        "--max-retries", "1000000", "--payload", "[" * 64 + "]" * 64,
    )  # fmt: skip
    job = cli.job(job_id)
    assert (job["priority"], job["max_retries"], job["timeout"]) == (2147483647, 1000000, 31536000)
    cli.run("config", "set", "max_retries", "1000000")
    cli.run("config", "set", "job_timeout", "0")
    assert [j["id"] for j in cli.json("list")] == [job_id]
    assert cli.run("show", job_id).returncode == 0
