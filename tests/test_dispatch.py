"""Calling hooks: the markers, the deferred arguments, the old notifier helper."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from queuectl_core import events, plugins
from queuectl_core.plugins import hookimpl
from queuectl_core.settings import Settings
from queuectl_core.testing import JobFactory
from tests.conftest import unasked


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    plugins.reset()
    yield
    plugins.reset()


def test_hookimpl_sits_beside_hookspec_and_the_old_paths_still_work() -> None:
    import queuectl_core
    from queuectl_core import hookspecs

    assert hookspecs.hookimpl is plugins.hookimpl is queuectl_core.hookimpl
    assert hookspecs.hookimpl.project_name == hookspecs.hookspec.project_name == "queuectl"


def test_every_hook_spec_says_in_which_process_and_thread_it_runs() -> None:
    from queuectl_core import hookspecs

    specs = [getattr(hookspecs, name) for name in dir(hookspecs) if name.startswith("queuectl_")]
    assert len(specs) >= 13
    for spec in specs:
        doc = spec.__doc__ or ""
        assert "process" in doc and "thread" in doc, spec.__name__


def test_job_event_hooks_still_work_for_old_plugins_but_warn(fresh_plugins: None) -> None:
    import types

    from queuectl_core.pluginkit.notifier import job_event_hooks

    seen: list[tuple[str, str]] = []

    def notify(event: str, job: Any, attempt: Any = None, retry_at: Any = None) -> None:
        seen.append((event, job.id))

    old_style = types.ModuleType("old_style")
    with pytest.warns(DeprecationWarning, match="job_event_hooks is deprecated"):
        vars(old_style).update(job_event_hooks(notify))
    plugins.get_plugin_manager().register(old_style, name="old_style")
    events.job_cancelled(JobFactory()("j1"), Settings({}), unasked)
    events.job_enqueued(JobFactory()("j2"), Settings({}), unasked)
    assert seen == [("cancelled", "j1"), ("enqueued", "j2")]


def test_a_deferred_argument_is_made_once_and_only_when_a_plugin_asks(
    fresh_plugins: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUEUECTL_PLUGINS", "")  # only the plugins below listen
    plugins.reset()
    loads: list[str] = []
    seen: list[object] = []

    def load() -> Settings:
        loads.append("settings")
        return Settings({"lease_timeout": "42"})

    def open_queue() -> str:
        loads.append("queue")
        return "the queue"

    class JobOnly:
        @hookimpl
        def queuectl_job_cancelled(self, job: Any) -> None:
            seen.append(job.id)

    class WithSettings:
        @hookimpl
        def queuectl_job_cancelled(self, job: Any, settings: Settings) -> None:
            seen.append(settings["lease_timeout"])

    class WithQueue:
        @hookimpl
        def queuectl_job_cancelled(self, queue: str) -> None:
            seen.append(queue)

    pm = plugins.get_plugin_manager()
    pm.register(JobOnly(), name="job-only")
    events.job_cancelled(JobFactory()("j1"), load, open_queue)
    assert (seen, loads) == (["j1"], [])  # nobody asked: neither was made
    pm.register(WithSettings(), name="with-settings")
    pm.register(WithSettings(), name="with-settings-too")
    events.job_cancelled(JobFactory()("j2"), load, open_queue)
    assert loads == ["settings"]  # read once for the two plugins that asked; no queue
    assert seen == ["j1", 42, 42, "j2"]  # the last registered first
    pm.register(WithQueue(), name="with-queue")
    pm.register(WithQueue(), name="with-queue-too")
    events.job_cancelled(JobFactory()("j3"), Settings({}), open_queue)
    assert loads == ["settings", "queue"]  # made once for the two plugins that asked
    assert seen[4:] == ["the queue", "the queue", 30, 30, "j3"]  # lease_timeout's default
