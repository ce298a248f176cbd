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
from pathlib import Path
from typing import Any

from queuectl_core import plugins
from queuectl_core.errors import ConfigError, UnknownBackendError
from queuectl_core.storage import BackendSpec, Storage

DEFAULT_BACKEND = "sqlite"


def config_home() -> Path:
    """``$XDG_CONFIG_HOME/queuectl`` (default ``~/.config/queuectl``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "queuectl"


def data_home() -> Path:
    """``$XDG_DATA_HOME/queuectl`` (default ``~/.local/share/queuectl``): the SQLite file."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "queuectl"


def state_home() -> Path:
    """``$XDG_STATE_HOME/queuectl`` (default ``~/.local/state/queuectl``): worker logs."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "queuectl"


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

    def open(self) -> Storage:
        """Open the storage this location names."""
        spec = self.spec()
        options = {**spec.default_options, **self.options}
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
    path = Path(explicit).expanduser() if explicit else config_home() / "config.toml"
    data: dict[str, Any] = {}
    if explicit or path.exists():
        data = _read_file(path)
    else:
        path = None  # type: ignore[assignment]
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
