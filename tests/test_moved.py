"""Modules that moved stay importable at their old paths, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from queuectl_core.moved import MOVED


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_still_imports_with_a_warning(old: str) -> None:
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error')\n"
        f"try:\n    importlib.import_module({old!r})\n"
        "except DeprecationWarning as w:\n    print(w)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        f"{old} moved to {' and '.join(MOVED[old])}; import it from there"
    ), out.stderr


def test_a_moved_module_is_the_new_module_itself() -> None:
    new = importlib.import_module("queuectl_core.pluginkit.lazy")
    sys.modules.pop("queuectl_core.lazy", None)  # imported before, it would not warn again
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("queuectl_core.lazy")
    assert old is new
    assert new.__spec__ is not None and new.__spec__.name == "queuectl_core.pluginkit.lazy"
    assert importlib.reload(new) is new


def test_a_split_module_finds_each_name_in_its_new_homes() -> None:
    sys.modules.pop("queuectl_core.control", None)
    with pytest.warns(DeprecationWarning):
        control = importlib.import_module("queuectl_core.control")
    from queuectl_core.worker import launch, pids, shutdown

    assert control.start_detached is launch.start_detached
    assert control.stop_workers is shutdown.stop_workers
    assert control.pid_alive is pids.pid_alive
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        control.nothing  # noqa: B018


def test_the_worker_package_runs_as_before() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "queuectl_core.worker", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--worker-id" in out.stdout
    from queuectl_core.worker import Worker
    from queuectl_core.worker.loop import Worker as LoopWorker

    assert Worker is LoopWorker
