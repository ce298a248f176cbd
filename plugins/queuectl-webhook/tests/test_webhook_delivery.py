"""Sending, retrying and queueing against a real HTTP server on loopback."""

from __future__ import annotations

import logging
import time

import pytest
from queuectl_webhook.dispatcher import Dispatcher
from queuectl_webhook.retries import Policy, deliver
from queuectl_webhook.sample import sample_delivery
from queuectl_webhook.sender import post
from webhook_support import Receiver, closed_port_url

POLICY = Policy(secret="whsec", timeout=2.0, retries=3)


class Waits:
    """The ``wait`` of :func:`deliver` that records the backoff asked for and skips it."""

    def __init__(self, keep_going: bool = True) -> None:
        self.delays: list[float] = []
        self.keep_going = keep_going

    def __call__(self, seconds: float) -> bool:
        self.delays.append(seconds)
        return self.keep_going


def test_a_flaky_endpoint_is_retried_until_it_answers(receiver: Receiver) -> None:
    waits = Waits()

    result = deliver(receiver.url("/flaky/2/u"), sample_delivery("dead"), POLICY, waits)

    assert result.delivered and result.status == 200
    assert len(receiver.received("/flaky/2/u")) == 3
    assert len(waits.delays) == 2 and 0.5 <= waits.delays[0] <= 1 <= waits.delays[1] <= 2


def test_an_endpoint_that_keeps_failing_gets_exactly_the_retries(receiver: Receiver) -> None:
    waits = Waits()

    result = deliver(receiver.url("/fail"), sample_delivery("dead"), POLICY, waits)

    assert not result.delivered and result.detail == "HTTP 500 Internal Server Error"
    assert len(receiver.received("/fail")) == POLICY.retries + 1
    assert len(waits.delays) == POLICY.retries


@pytest.mark.parametrize("path", ["/gone", "/redirect"])
def test_a_4xx_or_a_redirect_ends_the_delivery_at_once(receiver: Receiver, path: str) -> None:
    waits = Waits()

    result = deliver(receiver.url(path), sample_delivery("dead"), POLICY, waits)

    assert not result.delivered and not result.retryable
    assert [r.path for r in receiver.received()] == [path]  # the redirect is not followed
    assert waits.delays == []


def test_a_429_is_retried_after_the_time_it_asks_for(receiver: Receiver) -> None:
    waits = Waits()

    result = deliver(receiver.url("/busy"), sample_delivery("dead"), POLICY, waits)

    assert result.delivered
    assert waits.delays == [2.0]  # Retry-After: 2, longer than the first backoff


def test_a_hung_endpoint_times_out_and_a_closed_port_is_refused(receiver: Receiver) -> None:
    delivery = sample_delivery("dead")

    hung = post(receiver.url("/hang"), delivery, "", 0.3)
    refused = post(closed_port_url(), delivery, "", 0.3)

    assert (hung.delivered, hung.retryable, hung.detail) == (False, True, "no reply within 0.3s")
    assert (refused.retryable, refused.detail) == (True, "connection refused")


def test_a_stop_during_the_backoff_ends_the_retries(receiver: Receiver) -> None:
    waits = Waits(keep_going=False)

    result = deliver(receiver.url("/fail"), sample_delivery("dead"), POLICY, waits)

    assert not result.delivered
    assert len(receiver.received("/fail")) == 1 and len(waits.delays) == 1


def test_deliveries_arrive_in_order_and_close_waits_for_them(receiver: Receiver) -> None:
    dispatcher = Dispatcher()
    deliveries = [sample_delivery("succeeded") for _ in range(5)]

    for delivery in deliveries:
        dispatcher.send([receiver.url("/ok")], delivery, POLICY)
    undelivered = dispatcher.close()

    assert undelivered == 0
    arrived = [r.headers["x-queuectl-delivery"] for r in receiver.received("/ok")]
    assert arrived == [delivery.id for delivery in deliveries]


def test_a_full_queue_drops_events_with_one_warning_and_close_is_bounded(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="queuectl.webhook")
    dispatcher = Dispatcher(queue_size=2)
    policy = Policy(secret="", timeout=0.5, retries=3)
    hang = receiver.url("/hang")
    dispatcher.send([hang], sample_delivery("dead"), policy)
    receiver.wait_for("/hang", 1)  # the first is in progress: the queue is empty again

    for _ in range(9):  # two fit in the queue, seven are dropped
        dispatcher.send([hang], sample_delivery("dead"), policy)
    began = time.monotonic()
    undelivered = dispatcher.close()

    assert time.monotonic() - began < 3  # about webhook_timeout, not ten hung tries
    full = [r.message for r in caplog.records if "is full" in r.message]
    assert len(full) == 1 and hang in full[0]
    assert undelivered == 3  # the one being retried and the two queued behind it
    assert any("giving up on 3 undelivered" in r.message for r in caplog.records)
