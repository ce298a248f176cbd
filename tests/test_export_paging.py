"""``Queue.iter_jobs``, behind ``list --format csv|jsonl``: modest pages, never all at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from queuectl_core.job import Job, State
from queuectl_core.queue import Queue


class CountingPages:
    """Wraps ``storage.list_jobs`` to record each page's size; may enqueue between pages."""

    def __init__(self, queue: Queue, insert_between: int = 0) -> None:
        self.queue = queue
        self.list_jobs = queue.storage.list_jobs
        self.limits: list[int] = []
        self.insert_between = insert_between
        self.inserted = 0
        queue.storage.list_jobs = self  # type: ignore[method-assign]

    def __call__(self, **kwargs: Any) -> Sequence[Job]:
        self.limits.append(kwargs["limit"])
        jobs = self.list_jobs(**kwargs)
        for _ in range(self.insert_between):
            self.inserted += 1
            self.queue.enqueue(id=f"new{self.inserted}", command="true")
        return jobs


def fill(queue: Queue, count: int) -> None:
    queue.enqueue_many({"id": f"j{n:04d}", "command": "true"} for n in range(count))


def test_every_job_comes_in_pages(queue: Queue) -> None:
    fill(queue, 1234)
    pages = CountingPages(queue)
    jobs = queue.iter_jobs(page=100)
    first = next(jobs)
    assert first.id == "j1233" and pages.limits == [100]  # streamed: one page read so far
    rest = [job.id for job in jobs]
    assert [first.id, *rest] == [f"j{n:04d}" for n in reversed(range(1234))]
    assert pages.limits == [100] * 13


@pytest.mark.parametrize(("limit", "offset"), [(250, 0), (250, 1100), (1, 5)])
def test_limit_and_offset(queue: Queue, limit: int, offset: int) -> None:
    fill(queue, 1234)
    ids = [job.id for job in queue.iter_jobs(limit=limit, offset=offset, page=100)]
    assert ids == [f"j{n:04d}" for n in reversed(range(1234))][offset : offset + limit]


def test_jobs_enqueued_meanwhile_do_not_repeat_older_ones(queue: Queue) -> None:
    fill(queue, 450)
    CountingPages(queue, insert_between=7)
    ids = [job.id for job in queue.iter_jobs(states=[State.PENDING], page=100)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i.startswith("j")] == [f"j{n:04d}" for n in reversed(range(450))]
