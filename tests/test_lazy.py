"""Lazy: one object per process, made by the first use, once whatever the threads."""

from __future__ import annotations

import threading
import time

from queuectl_core.pluginkit.lazy import Lazy


def test_nothing_is_made_before_the_first_get() -> None:
    made: list[object] = []
    lazy = Lazy(lambda: made.append(object()) or made[-1])
    assert lazy.made is None and not made
    first = lazy.get()
    assert lazy.get() is first is lazy.made
    assert len(made) == 1


def test_threads_racing_to_the_first_get_share_one_object() -> None:
    calls = 0

    def slow_factory() -> object:
        nonlocal calls
        calls += 1
        time.sleep(0.05)  # every thread arrives while the first is still making it
        return object()

    lazy = Lazy(slow_factory)
    start = threading.Barrier(8)
    got: list[object] = []

    def use() -> None:
        start.wait()
        got.append(lazy.get())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == 1
    assert all(item is got[0] for item in got) and len(got) == 8
