"""Commands that serve HTTP until Ctrl-C or SIGTERM (``dashboard``, ``metrics serve``).

A plugin's server is a :class:`socketserver.BaseServer` (usually an
:class:`http.server.HTTPServer` subclass); this module binds it with a one-line error
when the address cannot be used, names its URL, and serves it until a stop signal.
"""

from __future__ import annotations

import signal
import socketserver
import threading
from collections.abc import Callable
from http.server import HTTPServer
from types import FrameType
from typing import Any, TypeVar

import click

from queuectl_core.errors import QueuectlError

S = TypeVar("S", bound=socketserver.BaseServer)
F = TypeVar("F", bound=Callable[..., Any])

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ListenError(QueuectlError):
    """The server cannot start (for example: its port is in use)."""


def port_option(default: int) -> Callable[[F], F]:
    """The ``--port`` option of a serving command; 0 lets the system pick a free port."""
    return click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=default,
        show_default=True,
        help="Port to listen on (0: any free port).",
    )


def listen(host: str, port: int, create: Callable[[tuple[str, int]], S]) -> S:
    """``create((host, port))``: a server bound to the address, or a :class:`ListenError`
    with a one-line reason (``cannot listen on HOST:PORT: address already in use``)."""
    try:
        return create((host, port))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ListenError(
            f"cannot listen on {host}:{port}: {reason[:1].lower()}{reason[1:]}"
        ) from None


def bind_without_lookup(server: HTTPServer) -> None:
    """What ``HTTPServer.server_bind`` does, but for its reverse DNS lookup of the bound
    address, which can take seconds; call it from the server's ``server_bind``."""
    socketserver.TCPServer.server_bind(server)
    host, port = server.server_address[:2]
    server.server_name = str(host)
    server.server_port = int(port)


def http_url(server: HTTPServer, path: str = "/") -> str:
    """``http://HOST:PORT/path`` as bound: the real port when 0 was asked for."""
    host = server.server_name
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address
    return f"http://{shown}:{server.server_port}{path}"


def serve_until_stopped(server: socketserver.BaseServer) -> None:
    """Serve in this (the main) thread until SIGINT or SIGTERM, then close the socket."""

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever(), which runs in this thread: ask from another
        threading.Thread(target=server.shutdown, name="serving-stop", daemon=True).start()

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        server.serve_forever()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.server_close()
