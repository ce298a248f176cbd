"""Finding the plugins' entry points without importing ``importlib.metadata``.

Every ``queuectl`` command discovers plugins, and importing ``importlib.metadata``
(which pulls in the ``email`` package) alone costs more than the rest of a
``queuectl status``. This module reads the same files it reads: each
``*.dist-info`` (or legacy ``*.egg-info``) directory on ``sys.path`` may hold an
``entry_points.txt``, a small INI file whose ``[queuectl]`` section names the
plugins. As with ``importlib.metadata``, the first distribution of a name on
``sys.path`` wins. ``tests/test_entry_points.py`` checks that both agree.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any, NamedTuple

_DIST_DIR = re.compile(r"^(?P<name>[^-]+)(?:-(?P<version>[^-]+))?.*\.(?:dist|egg)-info$")
_SECTION = re.compile(r"^\[\s*(?P<section>[^\]]+?)\s*\]$")
_INFO_SUFFIXES = (".dist-info", ".egg-info")  # what _DIST_DIR requires, tested first: cheaper


class EntryPoint(NamedTuple):
    """One ``name = module[:attribute]`` line of a distribution's entry points.

    A named tuple: every command creates this class, five times faster than a dataclass.
    """

    name: str
    value: str
    path: str  # the distribution's metadata directory

    def load(self) -> Any:
        """Import the module and return the named object (the module without one)."""
        module_name, _, attribute = self.value.partition(":")
        loaded: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attribute.strip().split(".")):
            loaded = getattr(loaded, part)
        return loaded

    def distribution(self) -> tuple[str, str | None]:
        """The distribution's name and version, as its metadata states them."""
        fields: dict[str, str] = {}
        for file_name in ("METADATA", "PKG-INFO"):
            try:
                with open(os.path.join(self.path, file_name), encoding="utf-8") as metadata:
                    for line in metadata:
                        if not line.strip():
                            break  # the headers end at the first empty line
                        key, _, value = line.partition(":")
                        fields.setdefault(key.strip().lower(), value.strip())
            except OSError:
                continue
            break
        fallback = _DIST_DIR.match(os.path.basename(self.path))
        name = fields.get("name") or (fallback["name"] if fallback else self.path)
        return name, fields.get("version") or (fallback["version"] if fallback else None)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` of every distribution on ``sys.path``."""
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for directory in sys.path:
        try:
            names = sorted(os.listdir(directory or "."))
        except OSError:  # missing, not a directory, or a zip file
            continue
        for name in names:
            if not name.endswith(_INFO_SUFFIXES):
                continue
            match = _DIST_DIR.match(name)
            if match is None:
                continue
            distribution = _normalize(match["name"])
            if distribution in seen:
                continue
            seen.add(distribution)
            path = os.path.join(directory or ".", name)
            found.extend(_read(path, group))
    return found


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _read(path: str, group: str) -> list[EntryPoint]:
    try:
        with open(os.path.join(path, "entry_points.txt"), "rb") as handle:
            lines = handle.read().decode("utf-8").splitlines()  # faster than a text file
    except OSError:
        return []
    section = None
    found = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = _SECTION.match(line)
        if header:
            section = header["section"]
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            value = value.split("[", 1)[0].strip()  # drop "[extras]"
            found.append(EntryPoint(name.strip(), value, path))
    return found
