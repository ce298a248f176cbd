"""How a plugin declares one runtime setting (:class:`Setting`), and the parsers it may
give it for a bounded duration or count. Declaring needs nothing of the plugin machinery,
which :mod:`queuectl_core.settings` (the values) builds on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queuectl_core import limits
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
