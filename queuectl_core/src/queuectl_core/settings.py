"""Runtime settings: typed, validated, stored in the backend and shared by workers.

Plugins add settings through ``queuectl_register_settings``; the core ones are in
:mod:`queuectl_core.builtins.settings`. Values travel as text (``config set``) and
are parsed by the setting's ``parse`` function, which raises ``ValueError`` with a
short reason for bad input (for a number, its range: see :mod:`queuectl_core.limits`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from queuectl_core import limits, plugins
from queuectl_core.errors import SettingError
from queuectl_core.units import parse_duration


def duration_in(bounds: tuple[float, float], zero: bool = False) -> Callable[[str], float]:
    """A setting's parser: a duration inside ``bounds`` (:mod:`queuectl_core.limits`),
    or, with ``zero``, 0 for none; outside, ``ValueError`` naming the range."""

    allowed = limits.duration_range(bounds) + (" (or 0 for none)" if zero else "")

    def parse(text: str) -> float:
        try:
            value = parse_duration(text)
        except ValueError as exc:
            if str(exc).startswith("must"):  # a number, out of any range
                raise ValueError(allowed) from None
            raise
        if (zero and value == 0) or limits.within(value, bounds):
            return value
        raise ValueError(allowed)

    return parse


def count_in(bounds: tuple[int, int]) -> Callable[[str], int]:
    """A setting's parser: a whole number inside ``bounds``; else ``ValueError``."""

    allowed = limits.range_text(*bounds)

    def parse(text: str) -> int:
        digits = text.strip()
        if not digits.lstrip("+-").isdigit() or len(digits) > 30 or not digits.isascii():
            raise ValueError(f"expected a whole number; it {allowed}")
        return limits.check_int(int(digits), bounds)

    return parse


@dataclass(frozen=True)
class Setting:
    """One runtime setting."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str
    unit: str = ""
    secret: bool = False  # shown masked by ``config list/get/set`` (e.g. a signing key)


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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
