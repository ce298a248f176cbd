"""Built-in executors: ``shell`` and ``python``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from queuectl_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from queuectl_core.executors.base import Executor


@hookimpl
def queuectl_register_executors(register: Callable[[str, Executor], None]) -> None:
    from queuectl_core.executors.python import PythonExecutor  # only commands that run jobs
    from queuectl_core.executors.shell import ShellExecutor

    register("shell", ShellExecutor())
    register("python", PythonExecutor())
