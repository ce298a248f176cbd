"""``/metrics`` over HTTP: a small WSGI app on the standard library's server.

One request at a time (scrapes are rare and each reads the backend once); a client
that sends nothing for :data:`REQUEST_TIMEOUT` seconds is dropped. A scrape that
cannot read the backend gets ``503`` and a one-line reason; the next one tries again.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import CollectorRegistry

from queuectl_core.errors import QueuectlError
from queuectl_core.pluginkit.serving import bind_without_lookup, http_url, listen
from queuectl_metrics.collector import CONTENT_TYPE, exposition

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("queuectl.metrics")

PATH = "/metrics"
REQUEST_TIMEOUT = 10.0


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
        bind_without_lookup(self)
        self.setup_environ()

    @property
    def url(self) -> str:
        """``http://HOST:PORT/metrics`` as bound (the real port when 0 was asked for)."""
        return http_url(self, PATH)


def open_server(host: str, port: int, registry: CollectorRegistry) -> MetricsServer:
    """Bind the server; ``ListenError`` with a one-line reason if it cannot."""
    return listen(host, port, lambda address: MetricsServer(address, metrics_app(registry)))
