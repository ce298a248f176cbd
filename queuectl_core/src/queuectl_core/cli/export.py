"""Jobs as CSV or JSON Lines, streamed: ``queuectl list --format csv|jsonl``.

Both hold the fields of the job JSON shape (docs/json.md), one job per row or
line. In CSV, ``payload`` and ``result`` are their compact JSON text, and a
missing value (``null``) is an empty cell.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from typing import Any

from queuectl_core.job import Job
from queuectl_core.serialize import JOB_FIELDS, job_view

#: The columns whose value is any JSON, written as JSON text.
JSON_CELLS = frozenset({"payload", "result", "unreadable"})


def write_jobs(jobs: Iterable[Job], fmt: str) -> int:
    """Write ``jobs`` to stdout as ``fmt`` while they arrive; returns how many."""
    out = sys.stdout
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(JOB_FIELDS)
        for count, job in enumerate(jobs, 1):  # noqa: B007 - the count is the last one
            view = job_view(job)
            writer.writerow([_cell(name, view[name]) for name in JOB_FIELDS])
    else:
        for count, job in enumerate(jobs, 1):  # noqa: B007
            out.write(json.dumps(job_view(job), ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    out.flush()
    return count


def _cell(name: str, value: Any) -> Any:
    """A CSV cell: ``None`` empty, payload, result and unreadable as JSON, the rest as it is."""
    if value is None:
        return ""
    if name in JSON_CELLS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value
