"""Where the backend lives: config file, environment and flags.

Precedence, highest first: command-line flags (``--backend``, ``--db``), environment
(``QUEUECTL_BACKEND``, ``QUEUECTL_DB``, ``QUEUECTL_<BACKEND>_<OPTION>``), the config
file (``--config``, else ``QUEUECTL_CONFIG``, else
``$XDG_CONFIG_HOME/queuectl/config.toml``), then built-in defaults (``sqlite``).
``--db``/``QUEUECTL_DB`` set the selected backend's location option (the SQLite
path, the Redis URL).

The file is TOML::

    backend = "sqlite"

    [sqlite]
    path = "/var/lib/queuectl/queue.db"
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from queuectl_core import plugins
from queuectl_core.errors import ConfigError, UnknownBackendError
from queuectl_core.storage import BackendSpec, Storage

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_BACKEND = "sqlite"


def config_home() -> Path:
    """``$XDG_CONFIG_HOME/queuectl`` (default ``~/.config/queuectl``)."""
    from pathlib import Path

    return Path(_home("XDG_CONFIG_HOME", ".config"))


def data_home() -> Path:
    """``$XDG_DATA_HOME/queuectl`` (default ``~/.local/share/queuectl``): the SQLite file."""
    from pathlib import Path

    return Path(_home("XDG_DATA_HOME", ".local", "share"))


def state_home() -> Path:
    """``$XDG_STATE_HOME/queuectl`` (default ``~/.local/state/queuectl``): worker logs."""
    from pathlib import Path

    return Path(_home("XDG_STATE_HOME", ".local", "state"))


def data_file(name: str) -> str:
    """``str(data_home() / name)``: what a backend registers as its default location."""
    return os.path.join(_home("XDG_DATA_HOME", ".local", "share"), name)


def _home(variable: str, *fallback: str) -> str:
    """``$<variable>/queuectl``, else ``~/<fallback...>/queuectl``, as pathlib spells it.

    A string: every command looks for the config file and registers the SQLite
    backend's default path, and importing pathlib would add ~1.5 ms to each.
    """
    base = os.environ.get(variable) or os.path.join(os.path.expanduser("~"), *fallback)
    return _as_pathlib_spells_it(os.path.join(base, "queuectl"))


def _as_pathlib_spells_it(path: str) -> str:
    """``str(Path(path))``: on POSIX, no empty or ``.`` parts and at most ``//`` as root."""
    if os.name != "posix":
        from pathlib import Path

        return str(Path(path))
    slashes = len(path) - len(path.lstrip("/"))
    root = "//" if slashes == 2 else "/" * min(slashes, 1)
    return root + "/".join(part for part in path.split("/") if part not in ("", ".")) or "."


@dataclass(frozen=True)
class Location:
    """The chosen backend and its options, with where each came from."""

    backend: str
    options: dict[str, str] = field(default_factory=dict)
    config_file: Path | None = None

    def spec(self) -> BackendSpec:
        """The installed backend, or ``UnknownBackendError`` listing what is installed."""
        installed = plugins.backends()
        spec = installed.get(self.backend)
        if spec is None:
            names = ", ".join(sorted(installed)) or "none"
            raise UnknownBackendError(
                f"unknown storage backend {self.backend!r}; installed: {names}"
            )
        return spec

    def environ(self) -> dict[str, str]:
        """Environment variables that make a child process resolve this same location."""
        env = {"QUEUECTL_BACKEND": self.backend}
        prefix = f"QUEUECTL_{self.backend.upper()}_"
        env.update({prefix + key.upper(): value for key, value in self.options.items()})
        return env

    def open(self, *, create: bool = True) -> Storage:
        """Open the storage this location names; with ``create=False``, only an existing
        queue (``NoQueueError`` otherwise, and nothing is created)."""
        spec = self.spec()
        options = {**spec.default_options, **self.options}
        if not create and spec.open_existing is not None:
            return spec.open_existing(options)
        return spec.factory(options)


def check_option_names(backend: str, options: Mapping[str, str], known: Sequence[str]) -> None:
    """Raise ``ConfigError`` naming the first option ``backend`` does not know."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown {backend} option {unknown[0]!r}; known options: {', '.join(known)}"
        )


def _read_file(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None


def resolve(
    *,
    config_file: str | None = None,
    backend: str | None = None,
    db: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Location:
    """Combine flags, environment, config file and defaults into a :class:`Location`."""
    env = os.environ if environ is None else environ
    explicit = config_file or env.get("QUEUECTL_CONFIG")
    default = os.path.join(_home("XDG_CONFIG_HOME", ".config"), "config.toml")
    path: Path | None = None
    data: dict[str, Any] = {}
    if explicit or os.path.exists(default):
        from pathlib import Path

        path = Path(explicit).expanduser() if explicit else Path(default)
        data = _read_file(path)
    name = backend or env.get("QUEUECTL_BACKEND") or data.get("backend") or DEFAULT_BACKEND
    if not isinstance(name, str):
        raise ConfigError(f"backend in {path} must be a string")
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"[{name}] in {path} must be a table")
    options = {key: str(value) for key, value in section.items()}
    prefix = f"QUEUECTL_{name.upper()}_"
    for key, value in env.items():
        if key.startswith(prefix):
            options[key[len(prefix) :].lower()] = value
    location = Location(backend=name, options=options, config_file=path)
    location_value = db or env.get("QUEUECTL_DB")
    if location_value:
        options[location.spec().location_option] = location_value
    return location
