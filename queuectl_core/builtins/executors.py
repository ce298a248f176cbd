"""Built-in executors: ``shell`` and ``python``."""

from __future__ import annotations

from collections.abc import Callable

from queuectl_core.executors.base import Executor
from queuectl_core.executors.python import PythonExecutor
from queuectl_core.executors.shell import ShellExecutor
from queuectl_core.plugins import hookimpl


@hookimpl
def queuectl_register_executors(register: Callable[[str, Executor], None]) -> None:
    register("shell", ShellExecutor())
    register("python", PythonExecutor())
