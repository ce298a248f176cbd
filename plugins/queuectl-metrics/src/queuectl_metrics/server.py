"""``/metrics`` over HTTP: a small WSGI app on the standard library's server.

One request at a time (scrapes are rare and each reads the backend once); a client
that sends nothing for :data:`REQUEST_TIMEOUT` seconds is dropped. A scrape that
cannot read the backend gets ``503`` and a one-line reason; the next one tries again.
"""

from __future__ import annotations

import logging
import signal
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import CollectorRegistry

from queuectl_core.errors import QueuectlError
from queuectl_metrics.collector import CONTENT_TYPE, exposition

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("queuectl.metrics")

PATH = "/metrics"
REQUEST_TIMEOUT = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class MetricsServerError(QueuectlError):
    """The server cannot start (for example: its port is in use)."""


def one_line(exc: BaseException) -> str:
    """An exception as one line of text."""
    text = " ".join(str(exc).split())
    return text if isinstance(exc, QueuectlError) and text else f"{type(exc).__name__}: {text}"


def metrics_app(registry: CollectorRegistry) -> WSGIApplication:
    """``GET /metrics``: the registry in the text format; 404 elsewhere; 503 on errors."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != PATH:
            return _reply(start_response, "404 Not Found", f"not found; try {PATH}")
        if environ.get("REQUEST_METHOD") != "GET":
            return _reply(start_response, "405 Method Not Allowed", f"{PATH} takes GET")
        try:
            body = exposition(registry)
        except Exception as exc:
            log.warning("cannot read the metrics: %s", one_line(exc))
            return _reply(start_response, "503 Service Unavailable", one_line(exc))
        length = str(len(body))
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", length)])
        return [body]

    return app


def _reply(start_response: StartResponse, status: str, message: str) -> list[bytes]:
    """A one-line plain text answer."""
    body = f"{message}\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    if status.startswith("405"):
        headers.append(("Allow", "GET"))
    start_response(status, headers)
    return [body]


class _Handler(WSGIRequestHandler):
    timeout = REQUEST_TIMEOUT

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class MetricsServer(WSGIServer):
    """Serves one WSGI app; binds IPv6 addresses too."""

    def __init__(self, address: tuple[str, int], app: WSGIApplication) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.set_app(app)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # HTTPServer's adds a reverse DNS lookup
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)
        self.setup_environ()

    @property
    def url(self) -> str:
        """``http://HOST:PORT/metrics`` as bound (the real port when 0 was asked for)."""
        host = f"[{self.server_name}]" if ":" in self.server_name else self.server_name
        return f"http://{host}:{self.server_port}{PATH}"


def open_server(host: str, port: int, registry: CollectorRegistry) -> MetricsServer:
    """Bind the server; ``MetricsServerError`` with a one-line reason if it cannot."""
    try:
        return MetricsServer((host, port), metrics_app(registry))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise MetricsServerError(
            f"cannot listen on {host}:{port}: {reason[:1].lower()}{reason[1:]}"
        ) from None


def serve_until_stopped(server: MetricsServer) -> None:
    """Serve until SIGINT or SIGTERM, then close the socket."""

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever(), which runs in this (the main) thread
        threading.Thread(target=server.shutdown, name="metrics-stop", daemon=True).start()

    previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {
        signum: signal.signal(signum, stop) for signum in STOP_SIGNALS
    }
    try:
        server.serve_forever()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        server.server_close()
