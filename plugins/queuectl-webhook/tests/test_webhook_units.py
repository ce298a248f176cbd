"""Signing, settings parsing, backoff and the body, without any process or network."""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest
from queuectl_webhook.event import Delivery
from queuectl_webhook.options import parse_retries, parse_urls
from queuectl_webhook.retries import BACKOFF_MAX, backoff_delay
from queuectl_webhook.sample import sample_delivery
from queuectl_webhook.sender import from_error, from_status
from queuectl_webhook.signing import signature
from webhook_support import readme_verify

from queuectl_core.pluginkit.notifier import JOB_EVENTS, parse_events

BODY = b'{"event":"dead"}'
KNOWN = "958d4d775849a8c09f790135913f9ae3ea792bb0a4e6b9b8e0a1eba07a7ddf42"


def test_the_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    assert signature("whsec", 1700000000, BODY) == f"t=1700000000,v1={KNOWN}"


def test_the_readme_check_accepts_a_fresh_signature_and_nothing_else() -> None:
    verify = readme_verify()
    now = int(time.time())
    header = signature("whsec", now, BODY)

    assert verify("whsec", header, BODY)
    assert not verify("whsec", header, BODY + b" ")  # tampered body
    assert not verify("other", header, BODY)  # another secret
    assert not verify("whsec", signature("whsec", now - 3600, BODY), BODY)  # a replay
    assert not verify("whsec", signature("whsec", now + 3600, BODY), BODY)
    for garbage in ("", "v1=abc", f"t=soon,v1={KNOWN}", "t", f"t={now}"):
        assert not verify("whsec", garbage, BODY)


def test_requests_are_signed_only_with_a_secret() -> None:
    delivery = Delivery("d1", "dead", BODY)

    assert "X-Queuectl-Signature" not in delivery.headers("", 1700000000)
    signed = delivery.headers("whsec", 1700000000)
    assert signed["X-Queuectl-Signature"] == f"t=1700000000,v1={KNOWN}"
    assert (signed["X-Queuectl-Event"], signed["X-Queuectl-Delivery"]) == ("dead", "d1")


@pytest.mark.parametrize(
    ("status", "delivered", "retryable"),
    [
        (200, True, False),
        (202, True, False),
        (204, True, False),
        (301, False, False),
        (302, False, False),
        (400, False, False),
        (401, False, False),
        (404, False, False),
        (410, False, False),
        (408, False, True),
        (429, False, True),
        (500, False, True),
        (502, False, True),
        (503, False, True),
    ],
)
def test_what_a_status_means(status: int, delivered: bool, retryable: bool) -> None:
    result = from_status(status, "Reason")

    assert (result.delivered, result.retryable, result.status) == (delivered, retryable, status)


@pytest.mark.parametrize(
    ("error", "retryable", "detail"),
    [
        (TimeoutError("timed out"), True, "no reply within 5s"),
        (ConnectionRefusedError(111, "Connection refused"), True, "connection refused"),
        (ConnectionResetError(104, "Connection reset by peer"), True, "ConnectionResetError"),
        (socket.gaierror(-2, "Name or service not known"), True, "cannot resolve the host"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), False, "not trusted"),
    ],
)
def test_what_a_network_error_means(error: OSError, retryable: bool, detail: str) -> None:
    result = from_error(error, 5.0)

    assert (result.delivered, result.retryable) == (False, retryable)
    assert detail in result.detail


def test_retry_after_is_honoured_in_seconds_capped_and_only_when_retrying() -> None:
    assert from_status(429, "", "7").retry_after == 7
    assert from_status(503, "", "86400").retry_after == 60
    assert from_status(503, "", "Wed, 21 Oct 2015 07:28:00 GMT").retry_after is None
    assert from_status(400, "", "7").retry_after is None


def test_backoff_doubles_from_one_second_with_jitter_and_is_capped() -> None:
    highest = [backoff_delay(n, lambda low, high: high) for n in range(1, 8)]
    lowest = [backoff_delay(n, lambda low, high: low) for n in range(1, 8)]

    assert highest == [1, 2, 4, 8, 16, BACKOFF_MAX, BACKOFF_MAX]
    assert lowest == [value / 2 for value in highest]
    assert all(0.5 <= backoff_delay(1) <= 1 for _ in range(200))


def test_urls_are_checked_and_kept_in_order_without_duplicates() -> None:
    assert parse_urls(" http://a.example/x,https://b.example:8443/y\n http://a.example/x ") == (
        "http://a.example/x https://b.example:8443/y"
    )
    assert parse_urls("") == ""
    refused = {
        "a.example/x": "not an http:// or https:// URL",
        "ftp://a.example/": "not an http:// or https:// URL",
        "https://": "has no host",
        "http://a.example:99999/": "invalid port",
        "http://a.example/caf\u00e9": "non-ASCII",
        "http://ann:pw@a.example/": "credentials",
    }
    for bad, reason in refused.items():
        with pytest.raises(ValueError, match=reason):
            parse_urls(f"http://fine.example/ {bad}")


def test_events_and_retries_are_parsed_strictly() -> None:
    assert parse_events(" dead, succeeded ") == "succeeded,dead"
    assert parse_events(",".join(reversed(JOB_EVENTS))) == ",".join(JOB_EVENTS)
    assert parse_retries(" 0 ") == 0 and parse_retries("20") == 20
    for bad in ("21", "-1", "1.5", "", "9" * 40, "1e300"):
        with pytest.raises(ValueError, match="must be between 0 and 20"):
            parse_retries(bad)


@pytest.mark.parametrize("event", JOB_EVENTS)
def test_the_sample_of_each_event_is_shaped_like_a_real_one(event: str) -> None:
    delivery = sample_delivery(event)
    body = json.loads(delivery.body)

    assert (body["event"], body["id"], body["test"]) == (event, delivery.id, True)
    assert set(body) == {"event", "id", "occurred_at", "test", "job", "attempt", "retry_at"}
    assert (body["attempt"] is not None) == (event in ("succeeded", "failed", "dead"))
    assert (body["retry_at"] is not None) == (event == "failed")
    assert body["attempt"] is None or "stdout" not in body["attempt"]  # sizes only
