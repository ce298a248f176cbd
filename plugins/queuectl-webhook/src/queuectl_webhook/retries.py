"""Delivering to one URL: tries, exponential backoff with jitter, one log line at the end."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from queuectl_webhook.event import Delivery
from queuectl_webhook.sender import Result, post

log = logging.getLogger("queuectl.webhook")

BACKOFF_BASE = 1.0  # seconds before the first retry, at most; doubles with each retry
BACKOFF_MAX = 30.0


@dataclass(frozen=True)
class Policy:
    """The settings a delivery is sent with, as they were when its event happened."""

    secret: str
    timeout: float
    retries: int


def backoff_delay(retry: int, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds before retry number ``retry`` (1, 2, ...): half to all of
    ``BACKOFF_BASE * 2 ** (retry - 1)``, at most ``BACKOFF_MAX``. The jitter keeps
    workers that failed together from retrying together."""
    ceiling = min(BACKOFF_BASE * 2 ** (retry - 1), BACKOFF_MAX)
    return rng(ceiling / 2, ceiling)


def deliver(url: str, delivery: Delivery, policy: Policy, wait: Callable[[float], bool]) -> Result:
    """Try until delivered, a result not worth retrying, or ``policy.retries`` retries.

    ``wait(seconds)`` sleeps between tries and returns ``False`` to stop early
    (the process is exiting); the last result is returned either way.
    """
    tries = policy.retries + 1
    for number in range(1, tries + 1):
        result = post(url, delivery, policy.secret, policy.timeout)
        if result.delivered:
            log.debug("webhook %s %s delivered to %s", delivery.event, delivery.id, url)
            return result
        if not result.retryable or number == tries:
            break
        delay = max(backoff_delay(number), result.retry_after or 0.0)
        log.info(
            "webhook %s to %s: try %d of %d failed (%s); retrying in %.1fs",
            delivery.event,
            url,
            number,
            tries,
            result.detail,
            delay,
        )
        if not wait(delay):
            break
    log.warning(
        "webhook %s %s not delivered to %s after %d %s: %s",
        delivery.event,
        delivery.id,
        url,
        number,
        "try" if number == 1 else "tries",
        result.detail,
    )
    return result
