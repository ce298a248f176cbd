"""The Notifier base: its job hooks call ``notify`` for the events its setting chooses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from queuectl_core import events, plugins
from queuectl_core.hookspecs import hookimpl
from queuectl_core.job import Attempt, WorkerInfo
from queuectl_core.pluginkit.notifier import JOB_EVENTS, JobEvent, Notifier, events_setting
from queuectl_core.settings import Setting, Settings
from queuectl_core.testing import JobFactory
from tests.conftest import unasked

WORKER = WorkerInfo(id="w1", host="here", pid=1)
RETRY_AT = datetime(2030, 1, 1, tzinfo=timezone.utc)


class Recorder(Notifier):
    events_setting = "recorder_events"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[Any, ...]] = []

    @hookimpl
    def queuectl_register_settings(self, register: Callable[[Setting], None]) -> None:
        register(events_setting("recorder_events", "recorded"))

    def notify(self, event: JobEvent, settings: Settings) -> None:
        attempt = event.attempt
        self.seen.append((event.name, event.job.id, attempt and attempt.number, event.retry_at))

    def close(self) -> None:
        self.seen.append(("closed",))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    monkeypatch.setenv("QUEUECTL_PLUGINS", "")  # the recorder alone beside the built-ins
    plugins.reset()
    recorder = Recorder()
    plugins.get_plugin_manager().register(recorder, name="recorder")
    yield recorder
    plugins.reset()


def emit_every_job_event(settings: Settings) -> None:
    job = JobFactory()("j1")
    attempt = Attempt("j1", 2, "w1", 0.0)
    events.job_enqueued(job, settings, unasked)
    events.job_started(job, 2, WORKER, settings, unasked)
    events.job_succeeded(job, attempt, settings, unasked)
    events.job_failed(job, attempt, RETRY_AT, settings, unasked)
    events.job_dead(job, None, settings, unasked)
    events.job_cancelled(job, settings, unasked)


def test_every_chosen_event_reaches_notify_with_its_arguments(recorder: Recorder) -> None:
    emit_every_job_event(Settings({"recorder_events": ",".join(JOB_EVENTS)}))
    assert recorder.seen == [
        ("enqueued", "j1", None, None),
        ("started", "j1", None, None),
        ("succeeded", "j1", 2, None),
        ("failed", "j1", 2, RETRY_AT),
        ("dead", "j1", None, None),
        ("cancelled", "j1", None, None),
    ]


def test_events_the_setting_leaves_out_never_reach_notify(recorder: Recorder) -> None:
    emit_every_job_event(Settings({}))  # the default: dead only
    emit_every_job_event(Settings({"recorder_events": "failed,cancelled"}))
    assert [seen[0] for seen in recorder.seen] == ["dead", "failed", "cancelled"]


def test_a_worker_stop_closes_the_notifier(recorder: Recorder) -> None:
    events.worker_stopped(WORKER, Settings({}), unasked)
    assert recorder.seen == [("closed",)]
