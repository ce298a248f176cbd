"""Deliveries handed off without waiting: a bounded queue and a daemon thread per URL.

The hook that reports an event only puts it on the queue of each URL, so a slow or
dead endpoint never holds up a job, and never holds up the other URLs either. A
full queue drops the new event (one warning per run of drops). At exit, pending
deliveries get a bounded time to finish, then are given up with a count.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Iterable

from queuectl_core.pluginkit.threads import start_daemon_thread
from queuectl_webhook.event import Delivery
from queuectl_webhook.retries import Policy, deliver

log = logging.getLogger("queuectl.webhook")

QUEUE_SIZE = 1000  # events waiting per URL
DRAIN_MAX = 5.0  # longest wait for pending deliveries at exit (seconds)

_Item = tuple[Delivery, Policy]


class Channel:
    """Deliveries to one URL, in order, by one daemon thread."""

    def __init__(self, url: str, size: int = QUEUE_SIZE) -> None:
        self.url = url
        self.timeout = 0.0  # of the latest delivery's policy: what a drain waits for
        self._items: queue.Queue[_Item | None] = queue.Queue(size)
        self._stopping = threading.Event()
        self._dropped = 0
        # blocks the stop signals, which belong to a worker's main thread
        self._thread = start_daemon_thread(self._serve, f"webhook {url}")

    def offer(self, delivery: Delivery, policy: Policy) -> bool:
        """Queue ``delivery``; ``False`` (and a warning, once per run) when full."""
        self.timeout = policy.timeout
        try:
            self._items.put_nowait((delivery, policy))
        except queue.Full:
            if not self._dropped:
                log.warning(
                    "webhook queue for %s is full (%d events): dropping new events until it drains",
                    self.url,
                    self._items.maxsize,
                )
            self._dropped += 1
            return False
        if self._dropped:
            log.warning(
                "webhook queue for %s drains again; %d events dropped", self.url, self._dropped
            )
            self._dropped = 0
        return True

    def unfinished(self) -> int:
        """Deliveries queued or in progress."""
        with self._items.mutex:
            return self._items.unfinished_tasks

    def wait_idle(self, deadline: float) -> bool:
        """Wait until nothing is queued or in progress, or ``deadline`` (monotonic)."""
        done = self._items.all_tasks_done
        with done:
            while self._items.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def stop(self) -> None:
        """Stop the thread after its current try; what is still queued is dropped."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._items.put_nowait(None)  # wakes the thread if it waits for work

    def _serve(self) -> None:
        while not self._stopping.is_set():
            item = self._items.get()
            try:
                if item is not None and not self._stopping.is_set():
                    deliver(self.url, *item, wait=self._wait)
            except Exception:  # a bug here must not end deliveries for good
                log.exception("webhook delivery to %s failed", self.url)
            finally:
                self._items.task_done()

    def _wait(self, seconds: float) -> bool:
        return not self._stopping.wait(seconds)


class Dispatcher:
    """The channels of this process, created on first use of each URL."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._channels: dict[str, Channel] = {}
        self._lock = threading.Lock()

    def send(self, urls: Iterable[str], delivery: Delivery, policy: Policy) -> None:
        """Queue ``delivery`` for every URL; returns at once."""
        with self._lock:
            for url in urls:
                channel = self._channels.get(url)
                if channel is None:
                    channel = self._channels[url] = Channel(url, self.queue_size)
                channel.offer(delivery, policy)

    def close(self, bound: float = DRAIN_MAX) -> int:
        """Wait for pending deliveries at most ``min(bound, webhook_timeout)`` seconds,
        then stop every channel; returns (and logs) how many were not delivered."""
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        if not channels:
            return 0
        waited = min(bound, max(channel.timeout for channel in channels))
        deadline = time.monotonic() + waited
        for channel in channels:
            channel.wait_idle(deadline)
        undelivered = sum(channel.unfinished() for channel in channels)
        for channel in channels:
            channel.stop()
        if undelivered:
            log.warning(
                "webhook: giving up on %d undelivered %s after waiting %gs at exit",
                undelivered,
                "delivery" if undelivered == 1 else "deliveries",
                waited,
            )
        return undelivered

    def forget(self) -> None:
        """Drop the channels without stopping them: in a forked child they have no thread."""
        self._channels = {}
        self._lock = threading.Lock()
