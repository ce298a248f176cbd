"""What the webhook tests share: a real HTTP receiver on loopback, and the README's
signature check, taken from the README itself so the documented code is what is tested."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from queuectl_core.testing.pytest_plugin import QueuectlCli

README = Path(__file__).resolve().parent.parent / "README.md"
HANG_SECONDS = 30.0  # /hang answers after this long, or when the receiver closes


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A ``ThreadingHTTPServer`` on 127.0.0.1 that records every POST and answers by path.

    ``/ok``: 200. ``/fail``: 500, always. ``/flaky/N/<name>``: 500 to the first N
    requests to that path, then 200. ``/hang``: no answer for ``HANG_SECONDS``.
    ``/gone``: 410. ``/redirect``: 302 to ``/ok``. ``/busy``: 429 with
    ``Retry-After: 2`` to the first request, then 200.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.changed = threading.Condition()
        self.closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self.changed:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[Received]:
        """The requests to ``path`` once there are ``count`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(found := self.received(path)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{path}: {len(found)} requests, not {count}, in {timeout}s"
                    )
                self.changed.wait(remaining)
            return found

    def record(self, request: Received) -> int:
        """Store ``request``; returns how many requests ``request.path`` has had."""
        with self.changed:
            self.requests.append(request)
            self.changed.notify_all()
            return len(self.received(request.path))

    def close(self) -> None:
        self.closing.set()  # lets /hang handlers finish
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            count = receiver.record(Received(self.path, headers, body, time.monotonic()))
            with contextlib.suppress(OSError):  # the client may have given up already
                self._answer(count)

        def _answer(self, count: int) -> None:
            path = self.path
            if path == "/hang":
                receiver.closing.wait(HANG_SECONDS)
                self._reply(200)
            elif path == "/fail":
                self._reply(500)
            elif path.startswith("/flaky/"):
                failures = int(path.split("/")[2])
                self._reply(500 if count <= failures else 200)
            elif path == "/gone":
                self._reply(410)
            elif path == "/redirect":
                self._reply(302, Location=receiver.url("/ok"))
            elif path == "/busy":
                self._reply(429, **{"Retry-After": "2"}) if count == 1 else self._reply(200)
            else:
                self._reply(200)

        def _reply(self, status: int, **headers: str) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/dead"


def readme_verify() -> Callable[..., bool]:
    """``verify`` as the README's "Verifying the signature" section defines it."""
    text = README.read_text()
    section = text[text.index("## Verifying the signature") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no Python block in the README's signature section"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), str(README), "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def configure(cli: QueuectlCli, **settings: object) -> None:
    """Store runtime settings for ``cli``'s queue through the Python API: quicker than a
    ``queuectl config set`` each (that command is tested on its own)."""
    with cli.queue() as queue:
        for name, value in settings.items():
            queue.set_setting(name, str(value))
