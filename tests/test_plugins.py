"""The plugin manager: discovery, allow/block lists, and isolation of broken plugins."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from queuectl_core import events, executors, plugins
from queuectl_core.config import Location
from queuectl_core.errors import InvalidJobError, UnknownBackendError
from queuectl_core.plugins import hookimpl
from queuectl_core.queue import prepare_jobs
from queuectl_core.settings import Settings
from queuectl_core.testing import JobFactory
from tests.conftest import unasked


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    plugins.reset()
    yield
    plugins.reset()


class BrokenRegistrar:
    @hookimpl
    def queuectl_register_handlers(self, register: Callable[..., None]) -> None:
        register("half", print)
        raise RuntimeError("boom")


class GoodRegistrar:
    @hookimpl
    def queuectl_register_handlers(self, register: Callable[..., None]) -> None:
        register("good", print)


def test_a_registration_hook_that_raises_is_skipped_and_logged(
    fresh_plugins: None, caplog: pytest.LogCaptureFixture
) -> None:
    pm = plugins.get_plugin_manager()
    pm.register(BrokenRegistrar(), name="broken")
    pm.register(GoodRegistrar(), name="good")
    handlers = plugins.handlers()
    assert "good" in handlers and "echo" in handlers
    assert "half" not in handlers  # nothing of a failing plugin is kept
    assert "plugin broken failed in queuectl_register_handlers" in caplog.text


def test_an_event_listener_that_raises_never_stops_the_others(
    fresh_plugins: None, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    class Raises:
        @hookimpl
        def queuectl_job_cancelled(self, job: Any) -> None:
            raise ValueError("listener bug")

    class Records:
        @hookimpl
        def queuectl_job_cancelled(self, job: Any) -> None:
            seen.append(job.id)

    pm = plugins.get_plugin_manager()
    pm.register(Records(), name="records")
    pm.register(Raises(), name="raises")
    with caplog.at_level(logging.WARNING):
        events.job_cancelled(JobFactory()("j1"), Settings({}), queue=unasked)
    assert seen == ["j1"]
    assert "plugin raises failed in queuectl_job_cancelled: ValueError: listener bug (at " in (
        caplog.text
    )
    assert "Traceback" not in caplog.text  # one line; the traceback only at debug level


def test_blocklist_and_allowlist(fresh_plugins: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "sqlite" in plugins.backends()
    monkeypatch.setenv("QUEUECTL_DISABLE_PLUGINS", "sqlite")
    plugins.reset()
    assert "sqlite" not in plugins.backends()
    monkeypatch.delenv("QUEUECTL_DISABLE_PLUGINS")
    monkeypatch.setenv("QUEUECTL_PLUGINS", "")
    plugins.reset()
    assert plugins.backends() == {}
    assert "shell" in plugins.executors()  # built-ins always load


def test_unknown_backend_lists_the_installed_ones(fresh_plugins: None) -> None:
    with pytest.raises(UnknownBackendError, match=r"unknown storage backend 'nope'.*sqlite"):
        Location(backend="nope").open()


def test_plugin_infos_name_versions_and_hooks(fresh_plugins: None) -> None:
    infos = {info.name: info for info in plugins.plugin_infos()}
    sqlite = infos["sqlite"]
    assert sqlite.distribution == "queuectl-sqlite" and sqlite.version
    assert sqlite.hooks == ("queuectl_register_storage",)
    assert infos["queuectl_core.builtins.executors"].builtin


class Mailer:
    """A third-party executor declaring what it asks of a job, as the shell one does."""

    needs_command = True
    payload_limit = 100
    payload_limit_reason = "of a mail job (it travels in a header)"

    def run(self, context: object) -> None:  # never called here
        raise AssertionError


class MailerPlugin:
    @hookimpl
    def queuectl_register_executors(self, register: Callable[[str, object], None]) -> None:
        register("mail", Mailer())


def test_job_validation_follows_what_an_executor_declares(fresh_plugins: None) -> None:
    """Core knows no executor by name: a plugin's executor gets the shell's checks by
    declaring them, and one that declares nothing gets the defaults."""
    plugins.get_plugin_manager().register(MailerPlugin(), name="mailer")
    with pytest.raises(InvalidJobError, match="command is required"):
        prepare_jobs([{"type": "mail"}])
    with pytest.raises(InvalidJobError, match=r"payload of a mail job .* at most 100 bytes"):
        prepare_jobs([{"type": "mail", "command": "to ann", "payload": "x" * 200}])
    [job] = prepare_jobs([{"type": "mail", "command": "to ann"}])
    assert job.type == "mail"
    declared = executors.declared_by(Mailer())
    assert (declared.in_process, declared.needs_command) == (False, True)
    assert executors.declared("python").in_process is True
    assert executors.declared("no-such-type") == executors.Declared()
