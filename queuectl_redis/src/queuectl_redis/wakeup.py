"""Waking idle workers the moment work arrives, without polling.

Scripts publish on the namespace's channel (``{prefix}:wake``) after a change that
makes a job ready. A waiter subscribes when it is made and stays subscribed for
its whole life, so a publish between a worker's empty claim and its wait is not
lost: it sits in the subscription's socket until ``wait`` reads it. When the
connection breaks, the waiter naps instead and subscribes again on its next wait.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import redis.exceptions as rx

from queuectl_core.storage import Waiter

log = logging.getLogger(__name__)

#: How long a waiter naps at most while Redis is unreachable.
OUTAGE_NAP = 1.0
#: How long subscribing waits for the server's confirmation.
SUBSCRIBE_TIMEOUT = 5.0


class PubSubWaiter(Waiter):
    """An idle worker's subscription to its namespace's wake-up channel."""

    def __init__(self, client: Any, channel: str) -> None:
        self._client = client
        self._channel = channel
        self._pubsub: Any = None
        self._closed = False
        self._subscribe()

    def _subscribe(self) -> bool:
        try:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(self._channel)
            # the confirmation: from here on no publish is missed
            pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT)
        except (rx.RedisError, OSError) as exc:
            log.debug("cannot subscribe to %s: %s", self._channel, exc)
            self._drop()
            return False
        self._pubsub = pubsub
        return True

    def wait(self, timeout: float) -> None:
        """Sleep until a wake-up arrives or ``timeout`` seconds pass."""
        timeout = max(0.0, timeout)
        if self._closed or (self._pubsub is None and not self._subscribe()):
            time.sleep(min(timeout, OUTAGE_NAP))
            return
        try:
            if self._pubsub.get_message(timeout=timeout) is not None:
                while self._pubsub.get_message(timeout=0.0) is not None:
                    pass  # several publishes: one wake-up is enough
        except (rx.RedisError, OSError) as exc:
            log.debug("wake-up channel %s broke: %s", self._channel, exc)
            self._drop()
            time.sleep(min(timeout, OUTAGE_NAP))

    def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(rx.RedisError, OSError):
                pubsub.close()

    def close(self) -> None:
        self._closed = True
        self._drop()
