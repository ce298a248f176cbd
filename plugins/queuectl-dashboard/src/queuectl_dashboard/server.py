"""The HTTP server: routing, request bodies, JSON responses and security headers.

Standard library only. One thread per connection (``ThreadingHTTPServer``); every
thread uses the same :class:`~queuectl_dashboard.api.Api`, whose storage is safe
to share between threads of a process. Keep-alive connections idle for longer
than :data:`IDLE_TIMEOUT` are closed.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from queuectl_core.errors import QueuectlError
from queuectl_core.pluginkit.serving import bind_without_lookup, http_url, listen
from queuectl_dashboard.api import Api, ApiError, Query, api_error
from queuectl_dashboard.hosts import HostCheck
from queuectl_dashboard.page import Page

log = logging.getLogger("queuectl.dashboard")

IDLE_TIMEOUT = 30.0
MAX_BODY = 1024 * 1024
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Route:
    """An endpoint: ``call(api, query, body, **path_parameters)``."""

    method: str
    path: re.Pattern[str]
    call: Callable[..., Any]


def _route(method: str, path: str, call: Callable[..., Any]) -> Route:
    return Route(method, re.compile(path.replace("<id>", "(?P<job_id>[^/]+)")), call)


ROUTES = (
    _route("GET", "/api/status", lambda api, query, body: api.status()),
    _route("GET", "/api/jobs", lambda api, query, body: api.jobs(query)),
    _route("GET", "/api/schedules", lambda api, query, body: api.schedules()),
    _route("GET", "/api/jobs/<id>", lambda api, query, body, job_id: api.job(job_id)),
    _route("GET", "/api/jobs/<id>/logs", lambda api, query, body, job_id: api.logs(job_id, query)),
    _route("POST", "/api/jobs/<id>/cancel", lambda api, query, body, job_id: api.cancel(job_id)),
    _route("POST", "/api/dlq/retry", lambda api, query, body: api.retry_dead(body)),
    _route("POST", "/api/dlq/purge", lambda api, query, body: api.purge_dead(body)),
)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for a request and its path parameters; 404 or 405 otherwise."""
    allowed = []
    for route in ROUTES:
        match = route.path.fullmatch(path)
        if match is None:
            continue
        if route.method == method:
            return route, {name: unquote(value) for name, value in match.groupdict().items()}
        allowed.append(route.method)
    if allowed:
        raise ApiError(405, f"{path} takes {' or '.join(allowed)}", {"Allow": ", ".join(allowed)})
    raise ApiError(404, f"no such endpoint: {path}")


class DashboardHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests: the page at ``/``, the API under ``/api/``."""

    server: DashboardServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page polls over a few connections
    server_version = "queuectl-dashboard"
    timeout = IDLE_TIMEOUT

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def dispatch(self, method: str) -> None:
        self.body_pending = method == "POST"
        url = urlsplit(self.path)
        try:
            host = self.headers.get("Host")
            if not self.server.hosts.allows(host):
                raise ApiError(
                    403, f"host {host!r} is not allowed; start the dashboard with --allow-host"
                )
            if url.path == "/":
                if method != "GET":
                    raise ApiError(405, "/ takes GET", {"Allow": "GET"})
                self.send_page()
                return
            route, parameters = find_route(method, url.path)
            body = self.read_json() if method == "POST" else None
            query: Query = parse_qs(url.query, keep_blank_values=True)
            result = route.call(self.server.api, query, body, **parameters)
        except ApiError as exc:
            self.send_json(exc.status, {"error": exc.message}, exc.headers)
        except QueuectlError as exc:
            error = api_error(exc)
            self.send_json(error.status, {"error": error.message})
        except ConnectionError:
            raise  # the client went away: see DashboardServer.handle_error
        except Exception as exc:
            log.exception("%s %s failed", method, url.path)
            self.send_json(500, {"error": f"internal error: {type(exc).__name__}: {exc}"})
        else:
            if isinstance(result, str):
                self.send(200, result.encode("utf-8"), "text/plain; charset=utf-8")
            else:
                self.send_json(200, result)

    def read_json(self) -> Any:
        """The request's JSON body (``{}`` when empty); 415 unless it says it is JSON.

        Requiring ``Content-Type: application/json`` keeps other sites out: a
        browser sends that cross-origin only after a preflight, which this server
        never approves (it sends no CORS headers).
        """
        if self.headers.get_content_type() != JSON_TYPE:
            raise ApiError(415, f"POST requests must have Content-Type: {JSON_TYPE}")
        if "Transfer-Encoding" in self.headers:
            raise ApiError(411, "send the body with a Content-Length")
        try:
            size = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(400, "malformed Content-Length") from None
        if size < 0:
            raise ApiError(400, "malformed Content-Length")
        if size > MAX_BODY:
            raise ApiError(413, f"request body over {MAX_BODY} bytes")
        raw = self.rfile.read(size)
        self.body_pending = False
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, f"malformed JSON body: {exc}") from None

    # -- responses ---------------------------------------------------------------------

    def send_page(self) -> None:
        page = self.server.page
        self.send(200, page.html, "text/html; charset=utf-8", {"Content-Security-Policy": page.csp})

    def send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(value).encode("ascii"), JSON_TYPE, headers)

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        if status >= 400 and getattr(self, "body_pending", False):
            self.close_connection = True  # the unread body would be taken for a request
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        headers = {"Content-Security-Policy": "default-src 'none'", **(headers or {})}
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests and unsupported methods, answered in JSON too."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.send_json(code, {"error": message or phrase})

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class DashboardServer(ThreadingHTTPServer):
    """Serves the dashboard page and API for one queue."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: Api, page: Page, hosts: HostCheck) -> None:
        self.api = api
        self.page = page
        self.hosts = hosts
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, DashboardHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that went away mid-answer is normal; anything else is logged."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("%s went away", client_address)
        else:
            log.exception("error while answering %s", client_address)

    def server_bind(self) -> None:
        bind_without_lookup(self)

    @property
    def url(self) -> str:
        """``http://HOST:PORT/`` as bound (the real port when 0 was asked for)."""
        return http_url(self)


def open_server(host: str, port: int, api: Api, page: Page, hosts: HostCheck) -> DashboardServer:
    """Bind the server; ``ListenError`` with a one-line reason if it cannot."""
    return listen(host, port, lambda address: DashboardServer(address, api, page, hosts))
