"""Project-wide pytest hooks (every test directory, not only ``tests/``)."""

from __future__ import annotations

import json
import os

import pytest

# queuectl's pytest plugins are opt-in (installing queuectl must not change anyone's
# own pytest runs); this repository's tests opt in here, as a plugin author would.
pytest_plugins = ["queuectl_core.testing.pytest_plugin", "queuectl_redis.testing.fixtures"]

#: When set, collection writes {hook name: [test ids]} of ``covers_hook`` marks here.
HOOK_REPORT = "QUEUECTL_HOOK_COVERAGE_REPORT"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    path = os.environ.get(HOOK_REPORT)
    if not path:
        return
    covered: dict[str, list[str]] = {}
    for item in items:
        for mark in item.iter_markers("covers_hook"):
            for name in mark.args:
                covered.setdefault(name, []).append(item.nodeid)
    with open(path, "w") as handle:
        json.dump(covered, handle)
