"""Registers the ``memory`` backend.

Kept import-light, like every backend's plugin module: the CLI imports every plugin
on start-up, so the storage code loads only when a process opens this backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from queuectl_core.hookspecs import hookimpl
from queuectl_core.storage import BackendSpec, Storage


def open_storage(options: Mapping[str, str]) -> Storage:
    """An instance on the in-process namespace the options name."""
    from queuectl_memory.storage import MemoryStorage

    return MemoryStorage.from_options(options)


@hookimpl
def queuectl_register_storage(register: Callable[[BackendSpec], None]) -> None:
    register(
        BackendSpec(
            name="memory",
            factory=open_storage,
            location_option="name",  # what --db and QUEUECTL_DB set
            description="an example: jobs live in one process's memory until it exits, "
            "unseen by other commands and workers (for tests and programs that run "
            "their own worker; options: name)",
            default_options={"name": "default"},
            shared=False,  # worker start would never see its workers: refused at once
        )
    )
