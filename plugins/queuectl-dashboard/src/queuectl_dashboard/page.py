"""The single-page app: ``static/index.html`` and the security policy that fits it.

The page is one self-contained file (inline CSS and JavaScript, no network access
but its own API). Its Content-Security-Policy allows exactly that inline script
and style, by hash, so nothing injected into the page could run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib import resources

REFRESH_PLACEHOLDER = "__QUEUECTL_REFRESH__"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


@dataclass(frozen=True)
class Page:
    """The HTML to serve and its ``Content-Security-Policy`` header."""

    html: bytes
    csp: str


def load_page(refresh: float) -> Page:
    """The page, set to refresh every ``refresh`` seconds (0: paused at first)."""
    source = resources.files("queuectl_dashboard").joinpath("static/index.html")
    html = source.read_text(encoding="utf-8").replace(REFRESH_PLACEHOLDER, f"{refresh:g}")
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for tag, body in _INLINE.findall(html):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes[tag].append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    allowed = {tag: " ".join(found) or "'none'" for tag, found in hashes.items()}
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {allowed['script']}",
            f"style-src {allowed['style']}",
            "connect-src 'self'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return Page(html.encode("utf-8"), csp)
