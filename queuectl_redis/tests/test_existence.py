"""When a Redis namespace exists: what reading commands open (``open_existing``)."""

from __future__ import annotations

import pytest

from queuectl_core.config import Location
from queuectl_core.errors import NoQueueError
from queuectl_core.job import State, WorkerInfo
from queuectl_core.queue import Queue


@pytest.fixture(params=["standalone", "cluster"])
def options(request: pytest.FixtureRequest) -> dict[str, str]:
    name = "redis_options" if request.param == "standalone" else "redis_cluster_options"
    found: dict[str, str] = request.getfixturevalue(name)
    return found


def test_an_empty_namespace_does_not_exist_until_init(options: dict[str, str]) -> None:
    location = Location("redis", options)
    with pytest.raises(NoQueueError, match=r"^no queue at redis://.* \(prefix qtest-"):
        location.open(create=False)
    queue, created = Queue.init(location)
    queue.close()
    assert created
    location.open(create=False).close()
    queue, created = Queue.init(location)
    queue.close()
    assert not created


@pytest.mark.parametrize("write", ["enqueue", "setting", "worker", "stats"])
def test_anything_stored_makes_it_exist_for_good(options: dict[str, str], write: str) -> None:
    location = Location("redis", options)
    with Queue.open(location) as queue:  # opening to write stores nothing yet
        with pytest.raises(NoQueueError):
            location.open(create=False)
        storage = queue.storage
        if write == "enqueue":
            job = queue.enqueue(command="true")
            queue.cancel(job.id)
            queue.purge([State.CANCELLED])
        elif write == "setting":
            queue.set_setting("max_retries", "2")
            queue.unset_setting("max_retries")
        elif write == "worker":
            storage.register_worker(WorkerInfo("w1", "h", 1, (), 1.0, 1.0))
            storage.unregister_worker("w1")
        else:
            storage.add_stats({"test_events": 1})
    with Queue.open(location, create=False) as queue:
        assert queue.counts() == {}
