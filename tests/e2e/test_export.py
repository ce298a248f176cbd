"""``queuectl list --format csv|jsonl``: every matching job, streamed, through the real command."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

JOBS = 2500  # five pages of storage reads
TRICKY = 'printf "%s\\n" "a,b" \'say "hi"\'\nsecond line, with ümlauts'


def fill(cli: Cli) -> None:
    """JOBS jobs in queues q0..q2, then one with a command CSV must quote."""
    lines = (
        json.dumps({"id": f"j{n:05d}", "command": "true", "queue": f"q{n % 3}", "priority": n % 7})
        for n in range(JOBS)
    )
    cli.run("enqueue", "--file", "-", input="\n".join(lines) + "\n")
    tricky = {"id": "tricky", "command": TRICKY, "payload": {"to": "a@b.c", "n": [1, "x,y"]}}
    cli.enqueue(json.dumps(tricky))


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_holds_every_job_and_round_trips(cli: Cli) -> None:
    fill(cli)
    done = cli.run("list", "--format", "csv")
    table = rows(done.stdout)
    assert len(table) == JOBS + 1  # no default limit
    ids = [row["id"] for row in table]
    assert ids == ["tricky", *(f"j{n:05d}" for n in reversed(range(JOBS)))]  # newest first
    tricky = table[0]
    assert tricky["command"] == TRICKY  # commas, quotes and newlines survive
    assert json.loads(tricky["payload"]) == {"to": "a@b.c", "n": [1, "x,y"]}
    shown = cli.job("tricky")
    assert list(tricky) == [key for key in shown if key not in ("history", "why")]
    assert (tricky["state"], tricky["created_at"]) == ("pending", shown["created_at"])
    assert (tricky["max_retries"], tricky["result"], tricky["priority"]) == ("", "", "0")
    assert table[1]["priority"] == str((JOBS - 1) % 7)


def test_jsonl_filters_and_an_explicit_limit(cli: Cli) -> None:
    fill(cli)
    lines = cli.run("list", "--format", "jsonl", "--queue", "q1").stdout.splitlines()
    jobs = [json.loads(line) for line in lines]
    expected = [f"j{n:05d}" for n in reversed(range(JOBS)) if n % 3 == 1]
    assert [job["id"] for job in jobs] == expected
    assert jobs[0] == {
        key: value for key, value in cli.job(jobs[0]["id"]).items() if key not in ("history", "why")
    }
    some = cli.run("list", "--format", "jsonl", "--queue", "q1", "--limit", "600", "--offset", "10")
    assert [json.loads(line)["id"] for line in some.stdout.splitlines()] == expected[10:610]
    assert cli.run("list", "--format", "csv", "--state", "dead").stdout.splitlines() == [
        ",".join(rows_header(cli))
    ]


def rows_header(cli: Cli) -> list[str]:
    return [key for key in cli.job("tricky") if key not in ("history", "why")]


def test_table_and_json_keep_their_default_limit(cli: Cli) -> None:
    fill(cli)
    assert len(cli.json("list")) == 50
    assert len(cli.run("list").stdout.splitlines()) == 51
    assert len(cli.json("list", "--format", "json", "--limit", "70")) == 70
    both = cli.run("list", "--json", "--format", "csv", check=False)
    assert both.returncode == 2 and "contradict" in both.stderr
