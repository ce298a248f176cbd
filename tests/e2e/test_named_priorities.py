"""Named priorities (low, normal, high, critical) through the real command."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e


def test_named_priorities_are_stored_as_numbers_and_run_in_order(cli: Cli) -> None:
    ran = cli.root / "ran.txt"
    record = f"echo $QUEUECTL_JOB_ID >> {ran}"
    cli.enqueue("--id", "low", "--command", record, "--priority", "low")
    cli.enqueue("--id", "normal", "--command", record, "--priority", "Normal")
    cli.enqueue(f'{{"id": "critical", "command": "{record}", "priority": "critical"}}')
    cli.enqueue("--id", "five", "--command", record, "--priority", "5")
    cli.run(
        "enqueue",
        "--file",
        "-",
        input=f'{{"id": "high", "command": "{record}", "priority": "HIGH"}}\n',
    )
    numbers = {job["id"]: job["priority"] for job in cli.json("list")}
    assert numbers == {"low": -10, "normal": 0, "critical": 20, "five": 5, "high": 10}
    cli.run("worker", "run", "--burst")
    assert ran.read_text().split() == ["critical", "high", "five", "normal", "low"]


def test_show_names_a_named_priority(cli: Cli) -> None:
    cli.enqueue("--id", "h", "--command", "true", "--priority", "high")
    cli.enqueue("--id", "n", "--command", "true", "--priority", "7")
    assert "priority:    10 (high)" in cli.run("show", "h").stdout
    assert "priority:    7\n" in cli.run("show", "n").stdout
    assert cli.job("h")["priority"] == 10


@pytest.mark.parametrize(
    "args",
    [["--command", "true", "--priority", "urgent"], ['{"command": "true", "priority": "top"}']],
    ids=["flag", "json"],
)
def test_an_unknown_priority_name_lists_the_names(cli: Cli, args: list[str]) -> None:
    cli.enqueue("--id", "kept", "--command", "true")
    done = cli.run("enqueue", *args, check=False)
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: ") and line.endswith(
        "priority must be a whole number or one of low (-10), normal (0), high (10), "
        f"critical (20), got {'urgent' if len(args) > 1 else 'top'!r}"
    )
    assert [job["id"] for job in cli.json("list")] == ["kept"]
