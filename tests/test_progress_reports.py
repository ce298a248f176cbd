"""The checks of :mod:`queuectl_core.progress`: values refused before any storage call,
the stored form read back, and the job's credentials from its environment."""

from __future__ import annotations

import pytest

from queuectl_core import progress
from queuectl_core.job import PROGRESS_MESSAGE_CHARS, Progress


@pytest.mark.parametrize("percent", [-1, 100.5, float("nan"), float("inf")])
def test_a_percent_outside_0_to_100_is_refused(percent: float) -> None:
    with pytest.raises(progress.ProgressError, match="from 0 to 100"):
        progress.checked(percent, None, 1.0)


@pytest.mark.parametrize(
    ("message", "error"),
    [("a\nb", "one line"), ("a\rb", "one line"), ("x" * (PROGRESS_MESSAGE_CHARS + 1), "at most")],
)
def test_a_message_must_be_one_short_line(message: str, error: str) -> None:
    with pytest.raises(progress.ProgressError, match=error):
        progress.checked(50, message, 1.0)


def test_checked_values_round_trip_through_the_stored_form() -> None:
    report = progress.checked(0, "x" * PROGRESS_MESSAGE_CHARS, 12.5)
    assert progress.from_text(progress.to_text(report)) == report
    assert progress.checked(100, "", 1.0) == Progress(100.0, None, 1.0)
    assert progress.text(Progress(40, "half")) == "40%: half"
    assert progress.text(Progress(12.5)) == "12.5%"


@pytest.mark.parametrize("stored", [None, "", "not json", "[]", '{"percent": "x", "at": 1}'])
def test_an_unreadable_stored_report_reads_as_none(stored: str | None) -> None:
    assert progress.from_text(stored) is None


def test_credentials_come_from_the_environment() -> None:
    env = {"QUEUECTL_JOB_ID": "j1", "QUEUECTL_JOB_TOKEN": "t"}
    assert progress.credentials(env) == ("j1", "t")
    with pytest.raises(progress.ProgressError, match="not inside a running job"):
        progress.credentials({"QUEUECTL_JOB_ID": "j1"})
