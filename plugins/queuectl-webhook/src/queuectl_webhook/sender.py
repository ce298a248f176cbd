"""One POST with urllib, and what its answer means: delivered, retry, or give up.

2xx is delivered. 408, 429 and 5xx, timeouts and connection errors are worth
another try; any other status (a redirect, which is not followed, or a 4xx) and an
untrusted TLS certificate are not.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import IO

from queuectl_webhook.event import Delivery

RETRY_STATUSES = frozenset({408, 429})
MAX_RETRY_AFTER = 60.0  # longest Retry-After (seconds) honoured


@dataclass(frozen=True)
class Result:
    """How one try went."""

    delivered: bool
    retryable: bool
    detail: str  # "200 OK", "HTTP 500", "no reply within 5s", ...
    status: int | None = None
    retry_after: float | None = None  # what a 429 or 503 asked for, in seconds


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is reported as the 3xx it is: a POST must not silently become a GET."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, delivery: Delivery, secret: str, timeout: float) -> Result:
    """POST ``delivery`` to ``url`` once, signed now; never raises for a network error
    or a URL urllib cannot use."""
    request = urllib.request.Request(
        url,
        data=delivery.body,
        headers=delivery.headers(secret, int(time.time())),
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=timeout) as reply:
            return from_status(reply.status, reply.reason)
    except urllib.error.HTTPError as exc:
        with exc:
            return from_status(exc.code, exc.reason, exc.headers.get("Retry-After"))
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, BaseException):
            return from_error(reason, timeout)
        return Result(False, True, str(reason))
    except (OSError, http.client.HTTPException) as exc:
        return from_error(exc, timeout)
    except ValueError as exc:  # a URL urllib cannot use: retrying will not change it
        return Result(False, False, f"invalid URL: {exc}")


def from_status(status: int, reason: str = "", retry_after: str | None = None) -> Result:
    """What an HTTP status means for the delivery."""
    text = f"{status} {reason}".strip()
    if 200 <= status < 300:
        return Result(True, False, text, status)
    if 300 <= status < 400:
        return Result(False, False, f"HTTP {text} (redirects are not followed)", status)
    retryable = status in RETRY_STATUSES or status >= 500
    after = _seconds(retry_after) if retryable else None
    return Result(False, retryable, f"HTTP {text}", status, after)


def from_error(exc: BaseException, timeout: float) -> Result:
    """What a network error means: retry, except for an untrusted certificate."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = getattr(exc, "verify_message", None) or exc
        return Result(False, False, f"TLS certificate not trusted: {reason}")
    if isinstance(exc, TimeoutError):
        return Result(False, True, f"no reply within {timeout:g}s")
    if isinstance(exc, ConnectionRefusedError):
        return Result(False, True, "connection refused")
    if isinstance(exc, socket.gaierror):  # often passing: DNS restarts, network changes
        return Result(False, True, f"cannot resolve the host: {exc.strerror or exc}")
    return Result(False, True, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def _seconds(retry_after: str | None) -> float | None:
    """A ``Retry-After`` given in seconds, capped; the HTTP-date form is ignored."""
    if retry_after is None:
        return None
    try:
        value = float(retry_after.strip())
    except ValueError:
        return None
    return min(max(value, 0.0), MAX_RETRY_AFTER)
