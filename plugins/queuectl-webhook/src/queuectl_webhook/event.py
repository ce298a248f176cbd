"""One event to deliver: its JSON body, fixed once, and the headers of each try."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from queuectl_core.pluginkit.notifier import JobEvent
from queuectl_core.serialize import attempt_view, job_view
from queuectl_core.units import iso
from queuectl_webhook.signing import HEADER, signature


def _version() -> str:
    try:
        return metadata.version("queuectl-webhook")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0"


USER_AGENT = f"queuectl-webhook/{_version()}"


@dataclass(frozen=True)
class Delivery:
    """An event as it is sent: the same id and body on every try and to every URL."""

    id: str
    event: str
    body: bytes

    def headers(self, secret: str, timestamp: int) -> dict[str, str]:
        """The request headers, signed at ``timestamp`` when there is a secret."""
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Queuectl-Event": self.event,
            "X-Queuectl-Delivery": self.id,
        }
        if secret:
            headers[HEADER] = signature(secret, timestamp, self.body)
        return headers


def new_delivery(event: JobEvent, *, test: bool = False) -> Delivery:
    """The delivery of ``event`` (the attempt's output is left out, only its sizes)."""
    job, attempt, retry_at = event.job, event.attempt, event.retry_at
    delivery_id = uuid.uuid4().hex
    document: dict[str, Any] = {
        "event": event.name,
        "id": delivery_id,
        "occurred_at": iso(time.time()),
        "test": test,
        "job": job_view(job),
        "attempt": None if attempt is None else attempt_view(attempt, output=False),
        "retry_at": None if retry_at is None else iso(retry_at.timestamp()),
    }
    body = json.dumps(document, default=str, ensure_ascii=False, separators=(",", ":"))
    return Delivery(delivery_id, event.name, body.encode("utf-8"))
