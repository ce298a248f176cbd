"""The plugin's parts called directly, with the ``queuectl_job`` fixture of the
``queuectl`` pytest plugin (installed with queuectl) building the jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from queuectl_hello.plugin import append_line, greet, parse_log_path

from queuectl_core.job import State
from queuectl_core.testing import JobFactory


def test_greet_prints_and_returns_the_greeting(capsys: pytest.CaptureFixture[str]) -> None:
    assert greet("Ann") == {"greeting": "hello, Ann"}
    assert greet() == {"greeting": "hello, world"}
    assert capsys.readouterr().out == "hello, Ann\nhello, world\n"


def test_the_notifier_appends_one_line_per_job(queuectl_job: JobFactory, tmp_path: Path) -> None:
    log = tmp_path / "hello.log"

    append_line(str(log), queuectl_job("j1", state=State.COMPLETED, attempts=1))
    append_line(str(log), queuectl_job("j2", state=State.DEAD, attempts=4), "; 2 in the DLQ")

    assert log.read_text().splitlines() == [
        "j1 completed after 1 attempt(s)",
        "j2 dead after 4 attempt(s); 2 in the DLQ",
    ]


@pytest.mark.parametrize(
    ("text", "stored"), [("", ""), ("  ", ""), (" /var/log/hello.log ", "/var/log/hello.log")]
)
def test_the_log_setting_keeps_absolute_paths(text: str, stored: str) -> None:
    assert parse_log_path(text) == stored


def test_the_log_setting_refuses_a_relative_path() -> None:
    with pytest.raises(ValueError, match="must be an absolute path"):
        parse_log_path("logs/hello.log")


def test_the_queuectl_pytest_plugin_is_loaded(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("queuectl_core.testing.pytest_plugin")


def test_queuectl_job_builds_distinct_pending_jobs(queuectl_job: JobFactory) -> None:
    first, second = queuectl_job(), queuectl_job("named", priority=4)
    assert (first.id, second.id) == ("job-1", "named")
    assert (first.state, second.priority, second.command) == (State.PENDING, 4, "echo named")
    assert first.created_at == first.next_run_at == queuectl_job.now
