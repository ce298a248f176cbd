"""Where the backend lives: config file, environment and flags.

Precedence, highest first: command-line flags (``--backend``, ``--db``), environment
(``QUEUECTL_BACKEND``, ``QUEUECTL_DB``, ``QUEUECTL_<BACKEND>_<OPTION>``), the config
file (``--config``, else ``QUEUECTL_CONFIG``, else
``$XDG_CONFIG_HOME/queuectl/config.toml``), then built-in defaults (``sqlite``).
``--db``/``QUEUECTL_DB`` set the selected backend's location option (the SQLite
path, the Redis URL).

Worker processes get their location from their parent through a pipe (see
:mod:`queuectl_core.handoff`), never through the environment, and remove the
location variables from their own environment (:func:`adopted`): a job
never inherits a backend's address or password. The location such a process
adopts is what :func:`resolve` returns when called without arguments.

The file is TOML::

    backend = "sqlite"

    [sqlite]
    path = "/var/lib/queuectl/queue.db"
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from queuectl_core import plugins
from queuectl_core.errors import ConfigError, UnknownBackendError
from queuectl_core.storage import BackendSpec, Storage

if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_BACKEND = "sqlite"
#: Variables that choose the backend, besides ``QUEUECTL_<BACKEND>_<OPTION>``.
LOCATION_VARIABLES = frozenset({"QUEUECTL_BACKEND", "QUEUECTL_DB", "QUEUECTL_CONFIG"})

_adopted: Location | None = None  # this process's location, handed over by its parent


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
        """Environment variables that make a process resolve this same location (for
        tests and scripts; queuectl hands its workers the location through a pipe)."""
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


def is_location_variable(name: str) -> bool:
    """Whether an environment variable chooses the backend or one of its options
    (``QUEUECTL_BACKEND``, ``QUEUECTL_DB``, ``QUEUECTL_CONFIG``,
    ``QUEUECTL_<BACKEND>_<OPTION>`` for every installed backend)."""
    if not name.startswith("QUEUECTL_"):
        return False
    if name in LOCATION_VARIABLES:
        return True
    return any(name.startswith(f"QUEUECTL_{backend.upper()}_") for backend in plugins.backends())


def without_location(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without the variables that choose the backend and its options."""
    return {key: value for key, value in environ.items() if not is_location_variable(key)}


@contextmanager
def adopted(location: Location) -> Iterator[None]:
    """Make ``location`` this process's own while the block runs: what :func:`resolve`
    without arguments returns, with the location variables gone from ``os.environ``
    (so that no job or in-process handler finds them). Both are restored afterwards."""
    global _adopted
    previous = _adopted
    removed = {name: value for name, value in os.environ.items() if is_location_variable(name)}
    for name in removed:
        del os.environ[name]
    _adopted = location
    try:
        yield
    finally:
        _adopted = previous
        os.environ.update(removed)


def check_option_names(backend: str, options: Mapping[str, str], known: Sequence[str]) -> None:
    """Raise ``ConfigError`` naming the first option ``backend`` does not know."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown {backend} option {unknown[0]!r}; known options: {', '.join(known)}"
        )


def seconds_option(
    backend: str,
    options: Mapping[str, str],
    name: str,
    default: float,
    *,
    zero_allowed: bool = False,
) -> float:
    """The backend option ``name`` as a number of seconds, ``default`` when unset.

    Raises ``ConfigError`` in one line for text that is not a finite number, a
    negative one, or 0 unless ``zero_allowed``.
    """
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = float(str(raw).strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero_allowed):
        bound = ">= 0" if zero_allowed else "> 0"
        raise ConfigError(
            f"{backend} option {name!r} must be a number of seconds {bound}, got {raw!r}"
        )
    return value


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
    """Combine flags, environment, config file and defaults into a :class:`Location`.

    Without arguments, in a process that adopted a location (:func:`adopted`): that location.
    """
    if _adopted is not None and (config_file, backend, db, environ) == (None, None, None, None):
        return _adopted
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
