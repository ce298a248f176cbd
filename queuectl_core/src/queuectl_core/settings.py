"""Runtime settings: typed, validated, stored in the backend and shared by workers.

Plugins add settings through ``queuectl_register_settings``; the core ones are in
:mod:`queuectl_core.builtins.settings`. Values travel as text (``config set``) and
are parsed by the setting's ``parse`` function, which raises ``ValueError`` with a
short reason for bad input (for a number, its range: see :mod:`queuectl_core.limits`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from queuectl_core import limits, plugins
from queuectl_core.errors import SettingError
from queuectl_core.setting import Setting, count_in, duration_in

if TYPE_CHECKING:
    from queuectl_core.storage import SettingsStore

__all__ = [  # Setting and its parsers are declared in queuectl_core.setting; importable here too
    "Setting",
    "Settings",
    "count_in",
    "duration_in",
    "format_value",
    "load",
    "registry",
    "unknown_setting_message",
    "validate",
]


class Settings:
    """A snapshot of every setting's effective value."""

    def __init__(self, overrides: Mapping[str, str], version: int = 0) -> None:
        self.version = version
        self.overrides = dict(overrides)
        self._values: dict[str, Any] = {}
        for name, setting in registry().items():
            raw = overrides.get(name)
            if raw is None:
                self._values[name] = setting.default
                continue
            try:
                self._values[name] = setting.parse(raw)
            except Exception:  # stored by an older version or by hand: fall back, never crash
                self._values[name] = setting.default

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise SettingError(unknown_setting_message(name)) from None

    def source(self, name: str) -> str:
        """``"set"`` when overridden in the backend, else ``"default"``."""
        return "set" if name in self.overrides else "default"

    def items(self) -> list[tuple[str, Any]]:
        """Every (name, value), sorted by name."""
        return sorted(self._values.items())


def load(storage: SettingsStore) -> Settings:
    """The settings in force in ``storage``."""
    return Settings(*storage.load_settings())


def registry() -> dict[str, Setting]:
    """Every registered setting by name."""
    return plugins.settings()


def unknown_setting_message(name: str) -> str:
    """The one-line error for an unknown setting name."""
    return f"unknown setting {name!r}; known settings: {', '.join(sorted(registry()))}"


def validate(name: str, raw: str) -> Any:
    """Parse ``raw`` for setting ``name``; raises ``SettingError`` with the reason."""
    setting = registry().get(name)
    if setting is None:
        raise SettingError(unknown_setting_message(name))
    if not limits.is_unicode(raw):
        raise SettingError(f"invalid value for {name}: not valid Unicode text")
    try:
        return setting.parse(raw)
    except (ValueError, OverflowError) as exc:
        raise SettingError(f"invalid value {limits.shown(raw)} for {name}: {exc}") from None


def format_value(value: Any) -> str:
    """A value as ``config get`` prints it."""
    if value is None:
        return "off"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):  # a list of exit codes
        return ",".join(map(str, value)) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
