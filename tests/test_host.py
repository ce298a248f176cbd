"""This host's name: QUEUECTL_HOSTNAME overrides the system's, everywhere core asks."""

from __future__ import annotations

import socket

import pytest
from queuectl_memory.storage import MemoryStorage

from queuectl_core import host
from queuectl_core.storage import Storage
from queuectl_core.worker import Worker


def test_the_system_name_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUEUECTL_HOSTNAME", raising=False)
    assert host.hostname() == socket.gethostname()


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_override_is_ignored(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    monkeypatch.setenv("QUEUECTL_HOSTNAME", blank)
    assert host.hostname() == socket.gethostname()


def test_the_override_and_its_short_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUECTL_HOSTNAME", " web1.example.com ")
    assert host.hostname() == "web1.example.com"
    assert host.short_hostname() == "web1"


def test_a_worker_registers_under_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUECTL_HOSTNAME", "host-a")
    storage: Storage = MemoryStorage()
    worker = Worker(storage, "host-a-1-1")
    assert worker.info.host == "host-a"
