"""Which ``Host`` headers the dashboard answers: a defence against DNS rebinding.

A web page on another site can point its own domain name at 127.0.0.1 and then
talk to the dashboard as if it were the same origin. The browser still sends that
domain in ``Host``, so the dashboard answers only IP addresses, ``localhost`` and
the names it was told about (``--host``, ``--allow-host``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

ANY_HOST = "*"


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without port or IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class HostCheck:
    """Decides whether a request's ``Host`` header names this dashboard."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = {"localhost", *(host_name(name) for name in names)}

    def allows(self, header: str | None) -> bool:
        if header is None or ANY_HOST in self.names:  # HTTP/1.0 tools may send none
            return True
        name = host_name(header)
        if name in self.names or name.endswith(".localhost"):
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True
