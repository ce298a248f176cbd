"""The contract of plugins' counters: :class:`~queuectl_core.storage.StatsStore`."""

from __future__ import annotations

import threading
from collections.abc import Callable

from queuectl_core.storage import StatsStore
from queuectl_core.testing.contract.base import ContractFixtures


class StatsContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.StatsStore`: counters add up across
    instances, and concurrent increments are never lost."""

    def test_stats_start_at_zero_and_add_up_across_instances(
        self, open_storage: Callable[[], StatsStore]
    ) -> None:
        storage, other = open_storage(), open_storage()
        assert storage.stats() == {}
        storage.add_stats({'metrics:done{q="a"}': 1, "metrics:seconds": 0.25, "other:ü": 2})
        other.add_stats({'metrics:done{q="a"}': 2, "metrics:seconds": 0.5})
        other.add_stats({})
        assert storage.stats("metrics:") == {'metrics:done{q="a"}': 3, "metrics:seconds": 0.75}
        assert other.stats() == {
            'metrics:done{q="a"}': 3,
            "metrics:seconds": 0.75,
            "other:ü": 2,
        }
        assert storage.stats("nothing") == {}

    def test_concurrent_stats_increments_are_not_lost(
        self, open_storage: Callable[[], StatsStore]
    ) -> None:
        instances = [open_storage() for _ in range(4)]

        def add(storage: StatsStore) -> None:
            for _ in range(50):
                storage.add_stats({"c:a": 1, "c:b": 2})

        threads = [threading.Thread(target=add, args=(s,)) for s in instances]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert instances[0].stats("c:") == {"c:a": 200, "c:b": 400}
