"""The runtime settings of the webhook plugin, and the checks of what people type."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from queuectl_core import limits
from queuectl_core.pluginkit.notifier import events_setting
from queuectl_core.settings import Setting, count_in, duration_in

MAX_RETRIES = limits.WEBHOOK_RETRIES[1]
parse_retries = count_in(limits.WEBHOOK_RETRIES)
parse_timeout = duration_in(limits.WEBHOOK_TIMEOUT)
_SEPARATORS = re.compile(r"[\s,]+")


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL urllib can POST to; else ``ValueError``."""
    if not url.isascii() or any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise ValueError(f"{url!r} has spaces or non-ASCII characters; percent-encode them")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} has credentials in it; use webhook_secret to authenticate")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    return url


def parse_urls(text: str) -> str:
    """URLs separated by spaces or commas, each checked, as one space-separated line."""
    urls = [check_url(url) for url in _SEPARATORS.split(text.strip()) if url]
    return " ".join(dict.fromkeys(urls))  # without duplicates, in the given order


SETTINGS = (
    Setting(
        "webhook_urls",
        "",
        parse_urls,
        "http(s) URLs, separated by spaces or commas, that get a POST on each chosen event "
        "(empty: off).",
    ),
    events_setting("webhook_events", "posted to webhook_urls"),
    Setting(
        "webhook_secret",
        "",
        str,
        "HMAC-SHA256 key of the X-Queuectl-Signature header (empty: requests are unsigned).",
        secret=True,
    ),
    Setting(
        "webhook_timeout",
        5.0,
        parse_timeout,
        "Longest wait for a webhook endpoint to connect or answer, per try (1ms to 1 hour).",
        "s",
    ),
    Setting(
        "webhook_retries",
        3,
        parse_retries,
        f"Retries of a failed webhook POST, with exponential backoff (0 to {MAX_RETRIES}).",
    ),
)
