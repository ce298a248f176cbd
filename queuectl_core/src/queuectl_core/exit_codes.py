"""Lists of exit codes in retry rules (``retry_on_exit``, ``no_retry_exit``), as people
give them: ``75,111`` on the command line and in ``config set``, a JSON array in a
job. ``none`` (or nothing) is the empty list. :mod:`queuectl_core.retry` applies them.
"""

from __future__ import annotations

import re
from typing import Any

from queuectl_core import limits
from queuectl_core.limits import shown

_CODE = re.compile(r"\d{1,30}")
NONE_WORDS = ("", "none")
EXPECTED = "expected exit codes separated by commas, such as 75,111 (or none)"


def parse(text: str) -> tuple[int, ...]:
    """The exit codes in ``75,111`` (sorted, each once); ``none`` or blank: none.
    Raises ``ValueError`` with the reason."""
    raw = text.strip()
    if raw.lower() in NONE_WORDS:
        return ()
    items = [item.strip() for item in raw.split(",")]
    if not all(_CODE.fullmatch(item) for item in items):
        raise ValueError(EXPECTED)
    return checked([int(item) for item in items])


def checked(codes: list[int]) -> tuple[int, ...]:
    """``codes`` sorted, each once, if every one is an exit code and there are not too
    many; else ``ValueError``."""
    low, high = limits.EXIT_CODE
    for code in codes:
        if not low <= code <= high:
            raise ValueError(f"exit code {shown(code)} {limits.range_text(low, high)}")
    unique = tuple(sorted(set(codes)))
    if len(unique) > limits.EXIT_CODES:
        raise ValueError(f"at most {limits.EXIT_CODES} exit codes, got {len(unique)}")
    return unique


def from_field(value: Any) -> tuple[int, ...] | None:
    """A job's rule as given: ``None`` (the setting), a JSON array of whole numbers,
    or a text :func:`parse` reads. Raises ``ValueError``."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse(value)
    if isinstance(value, (list, tuple)) and all(
        isinstance(code, int) and not isinstance(code, bool) for code in value
    ):
        return checked(list(value))
    raise ValueError(f"{EXPECTED}, got {shown(value)}")


def text(codes: tuple[int, ...]) -> str:
    """``75,111``, or ``none``: a rule as ``config get`` and ``show`` print it."""
    return ",".join(map(str, codes)) if codes else "none"
