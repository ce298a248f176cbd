"""The ``X-Queuectl-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256>``.

The MAC covers ``"<t>.<raw body>"``, so a receiver can check both that the body came
from someone holding the secret and that it was signed recently (not a replay).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Queuectl-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value signing ``body`` at ``timestamp`` with ``secret``."""
    signed = f"{timestamp}.".encode("ascii") + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
