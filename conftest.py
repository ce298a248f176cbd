"""Project-wide pytest hooks (every test directory, not only ``tests/``)."""

from __future__ import annotations

import json
import os

import pytest

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
