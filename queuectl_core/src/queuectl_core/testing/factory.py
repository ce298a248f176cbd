"""``JobFactory``: valid pending jobs for storage tests, in a module of its own so the
contract suite can import it without importing the :mod:`queuectl_core.testing` package."""

from __future__ import annotations

import itertools
import time
from typing import Any

from queuectl_core.job import Job


class JobFactory:
    """Builds valid pending jobs: ``make()``, ``make("id", priority=5, queue="mail")``.

    Ids default to ``job-1``, ``job-2``, ...; ``created_at``, ``updated_at`` and
    ``next_run_at`` default to ``now`` (the time the factory was made, unless given).
    """

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now
        self._numbers = itertools.count(1)

    def __call__(self, job_id: str | None = None, **fields: Any) -> Job:
        job_id = job_id or f"job-{next(self._numbers)}"
        defaults: dict[str, Any] = {
            "command": f"echo {job_id}",
            "created_at": self.now,
            "updated_at": self.now,
            "next_run_at": self.now,
        }
        return Job(id=job_id, **{**defaults, **fields})
