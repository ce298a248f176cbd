"""Purging every job of a state asks first on a terminal and needs --yes elsewhere."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def on_terminal(cli: Cli, *args: str, answer: str) -> subprocess.CompletedProcess[str]:
    """``queuectl ARGS`` with a pseudo-terminal as stdin, on which ``answer`` is typed."""
    main, terminal = pty.openpty()
    try:
        os.write(main, answer.encode() + b"\n")
        return subprocess.run(
            cli.command(*args),
            env=cli.env,
            cwd=cli.root,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(terminal)
        os.close(main)


def make_dead_and_completed(cli: Cli) -> None:
    for n in range(3):
        cli.enqueue("--id", f"dead{n}", "--command", "exit 1", "--max-retries", "0")
    cli.enqueue("--id", "done", "--command", "true")
    cli.run("worker", "run", "--burst")
    assert len(cli.json("dlq", "list")) == 3


@pytest.mark.parametrize(
    ("args", "left"),
    [(["dlq", "purge"], "dead"), (["purge", "--state", "dead"], "dead")],
    ids=["dlq purge", "purge"],
)
def test_without_a_terminal_nothing_is_purged_without_yes(
    cli: Cli, args: list[str], left: str
) -> None:
    make_dead_and_completed(cli)
    refused = cli.run(*args, check=False, input="y\n")  # piped stdin: no one to ask
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        "Error: not deleting 3 dead jobs unconfirmed: stdin is not a terminal, so pass --yes"
    ]
    assert cli.json("status")["states"][left] == 3
    assert cli.json(*args, "--yes") == {"purged": 3}
    states = cli.json("status")["states"]
    assert (states["dead"], states["completed"]) == (0, 1)


def test_the_terminal_prompt_names_the_count_and_no_keeps_everything(cli: Cli) -> None:
    make_dead_and_completed(cli)
    declined = on_terminal(cli, "dlq", "purge", answer="n")
    assert declined.returncode == 1
    assert "Delete 3 dead jobs and their history? [y/N]" in declined.stderr
    assert "Error: nothing purged" in declined.stderr
    assert len(cli.json("dlq", "list")) == 3
    accepted = on_terminal(cli, "purge", "--state", "dead", "--state", "completed", answer="y")
    assert accepted.returncode == 0, accepted.stderr
    assert "Delete 4 dead or completed jobs and their history?" in accepted.stderr
    assert accepted.stdout == "purged 4 jobs\n"
    assert cli.json("status")["total"] == 0


def test_explicit_ids_and_nothing_to_purge_need_no_confirmation(cli: Cli) -> None:
    make_dead_and_completed(cli)
    assert cli.run("dlq", "purge", "dead0").stdout == "purged 1 job\n"
    assert cli.run("purge", "--state", "cancelled").stdout == "purged 0 jobs\n"
    assert len(cli.json("dlq", "list")) == 2


def test_older_than_says_the_count_is_an_upper_bound(cli: Cli) -> None:
    make_dead_and_completed(cli)
    refused = cli.run("purge", "--state", "completed", "--older-than", "1h", check=False)
    assert refused.returncode == 1
    assert "the completed jobs last changed over 1h" in refused.stderr
    assert "(of 1 completed job)" in refused.stderr
    assert cli.json("purge", "--state", "completed", "--older-than", "1h", "--yes") == {"purged": 0}
