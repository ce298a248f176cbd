"""Human and JSON output: aligned tables, field lists, local times."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import click


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def plural(count: int, noun: str) -> str:
    """``1 job``, ``2 jobs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def compact_json(value: Any) -> str:
    """``value`` as JSON on one line."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def local_time(timestamp: float | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in local time, or ``-``."""
    if not timestamp:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def one_line(text: str | None, width: int = 0) -> str:
    """``text`` on one line (newlines shown as ``\\n``), cut to ``width`` if given."""
    if text is None or text == "":
        return "-"
    flat = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
    if width and len(flat) > width:
        return flat[: width - 3] + "..."
    return flat


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows under upper-case headers, columns separated by two spaces.

    Columns holding only numbers are right-aligned, the others left-aligned.
    """
    raw = [list(row) for row in rows]
    numeric = [
        bool(raw) and all(isinstance(row[index], (int, float)) for row in raw)
        for index in range(len(headers))
    ]
    lines = [[header.upper() for header in headers], *([str(cell) for cell in row] for row in raw)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(headers))]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(line, widths, numeric, strict=True)
        ).rstrip()
        for line in lines
    )


def fields(pairs: Sequence[tuple[str, object]]) -> str:
    """``name: value`` lines with the values aligned."""
    width = max((len(name) for name, _ in pairs), default=0) + 1
    return "\n".join(f"{name + ':':<{width}} {value}" for name, value in pairs)
