"""What the dashboard tests share besides fixtures: an HTTP client and a burst worker."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from queuectl_core.queue import Queue
from queuectl_core.worker import Worker


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        assert self.headers.get_content_type() == "application/json", self.headers
        return json.loads(self.body)

    @property
    def error(self) -> str:
        """The one-line reason of an error response."""
        assert self.status >= 400, self.status
        value = self.json()
        assert set(value) == {"error"} and "Traceback" not in value["error"], value
        message: str = value["error"]
        return message


class Client:
    """Real HTTP requests to the dashboard at ``base`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=dict(headers or {})
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, exc.headers, exc.read())

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, value: Any = None, content_type: str | None = "application/json"
    ) -> Response:
        body = b"" if value is None else json.dumps(value).encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return self.request("POST", path, body, headers)

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status == 200, (response.status, response.body)
        return response.json()


def run_burst(queue: Queue) -> None:
    """Run every ready job with a real worker in this process, then return."""
    assert Worker(queue.storage, "burst-worker", burst=True).run() == 0
