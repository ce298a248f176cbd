"""Old import paths of modules that moved, kept working for third-party code.

The worker runtime moved into :mod:`queuectl_core.worker` and what plugin authors
import into :mod:`queuectl_core.pluginkit`. ``import queuectl_core.lazy`` (or any
other old path in :data:`MOVED`) still works, with a ``DeprecationWarning``: it
yields the module at its new path (the same object, so its state is shared), or,
for a module that was split, a stand-in that finds each name in the new modules.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import Any

#: Old module path -> the module(s) now holding its names.
MOVED: dict[str, tuple[str, ...]] = {
    "queuectl_core.heartbeat": ("queuectl_core.worker.heartbeat",),
    "queuectl_core.prefetch": ("queuectl_core.worker.prefetch",),
    "queuectl_core.stopping": ("queuectl_core.worker.stopping",),
    "queuectl_core.orphans": ("queuectl_core.worker.orphans",),
    "queuectl_core.supervisor": ("queuectl_core.worker.supervisor",),
    "queuectl_core.recovery": ("queuectl_core.worker.recovery", "queuectl_core.worker.reporting"),
    "queuectl_core.control": (
        "queuectl_core.worker.launch",
        "queuectl_core.worker.shutdown",
        "queuectl_core.worker.pids",
    ),
    "queuectl_core.lazy": ("queuectl_core.pluginkit.lazy",),
    "queuectl_core.live_settings": ("queuectl_core.pluginkit.live_settings",),
    "queuectl_core.threads": ("queuectl_core.pluginkit.threads",),
    "queuectl_core.notify": ("queuectl_core.pluginkit.notifier",),
    "queuectl_core.cli.serving": ("queuectl_core.pluginkit.serving",),
}


class _Split(ModuleType):
    """An old module that was split: each name is looked up in the new ones, in order."""

    def __init__(self, name: str, targets: tuple[str, ...]) -> None:
        super().__init__(name, f"moved to {', '.join(targets)}")
        self._targets = targets

    def __getattr__(self, name: str) -> Any:
        for target in self._targets:
            module = importlib.import_module(target)
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old paths of :data:`MOVED` and loads each as its new module."""

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        targets = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} moved to {' and '.join(targets)}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        if len(targets) > 1:
            return _Split(spec.name, targets)
        module = importlib.import_module(targets[0])
        spec.loader_state = module.__spec__  # importlib is about to overwrite it
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module was made or imported by :meth:`create_module`);
        a moved module gets its own ``__spec__`` back."""
        own = module.__spec__.loader_state if module.__spec__ is not None else None
        if own is not None:
            module.__spec__ = own


def install() -> None:
    """Make the old paths importable (once per process)."""
    if not any(isinstance(finder, _OldPaths) for finder in sys.meta_path):
        sys.meta_path.append(_OldPaths())
