"""HTTP behaviour: the CSRF guard, methods, hosts, headers, errors and the page itself."""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import re
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from dashboard_support import Client
from queuectl_dashboard.hosts import HostCheck, host_name
from queuectl_dashboard.server import MAX_BODY, DashboardServer

from queuectl_core.job import State
from queuectl_core.queue import Queue

# -- the content-type guard and CORS ------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_posts_must_say_they_are_json(
    client: Client, queue: Queue, jobs: dict[str, State], content_type: str | None
) -> None:
    for path, body in [("/api/dlq/purge", {"all": True}), ("/api/jobs/later/cancel", {})]:
        response = client.post(path, body, content_type=content_type)
        assert response.status == 415
        assert response.error == "POST requests must have Content-Type: application/json"
    assert queue.get("broken").state is State.DEAD
    assert queue.get("later").state is State.PENDING


def test_json_with_a_charset_is_json(client: Client, jobs: dict[str, State]) -> None:
    response = client.post("/api/dlq/retry", {"all": True}, "application/json; charset=utf-8")
    assert response.status == 200


def test_no_cors_headers_even_when_asked(client: Client, jobs: dict[str, State]) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    responses = [
        client.get("/api/status", origin),
        client.request("OPTIONS", "/api/dlq/purge", headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }),
    ]  # fmt: skip
    assert responses[1].status >= 400  # a preflight is never approved
    for response in responses:
        assert not [name for name in response.headers if name.lower().startswith("access-control")]


def test_malformed_and_oversized_bodies(
    client: Client, server: DashboardServer, jobs: dict[str, State]
) -> None:
    headers = {"Content-Type": "application/json"}
    malformed = client.request("POST", "/api/dlq/retry", b'{"all": tru', headers)
    assert malformed.status == 400 and malformed.error.startswith("malformed JSON body")
    conn = http.client.HTTPConnection(server.server_name, server.server_port, timeout=5)
    try:  # refused on its Content-Length, before any of the body is read
        conn.putrequest("POST", "/api/dlq/retry")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY + 1))
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()


# -- routing -------------------------------------------------------------------------------------


def test_unknown_paths_and_wrong_methods(client: Client) -> None:
    missing = client.get("/api/nothing")
    assert (missing.status, missing.error) == (404, "no such endpoint: /api/nothing")
    assert client.get("/api/jobs/a/b/c").status == 404
    get_on_post = client.get("/api/dlq/retry")
    assert get_on_post.status == 405 and get_on_post.headers["Allow"] == "POST"
    post_on_get = client.post("/api/status", {})
    assert post_on_get.status == 405 and post_on_get.headers["Allow"] == "GET"
    assert client.post("/", {}).status == 405
    delete = client.request("DELETE", "/api/jobs/x")
    assert delete.status == 501 and delete.error


def test_an_unexpected_error_is_a_one_line_500(
    client: Client, server: DashboardServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(server.api, "status", broken)
    response = client.get("/api/status")
    assert (response.status, response.error) == (500, "internal error: RuntimeError: disk on fire")
    assert client.get("/api/jobs").status == 200  # the server carries on


def test_concurrent_requests_share_the_storage_safely(
    client: Client, jobs: dict[str, State]
) -> None:
    paths = ["/api/status", "/api/jobs?state=dead", "/api/jobs/hello", "/api/jobs/hello/logs"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda path: client.get(path).status, paths * 25))
    assert statuses == [200] * 100


def test_a_client_that_goes_away_is_no_error(
    client: Client, server: DashboardServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "queuectl.dashboard")
    for _ in range(3):  # ask for many pages, then reset the connection while they are sent
        with socket.create_connection((server.server_name, server.server_port)) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 200)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            time.sleep(0.05)
    assert client.get("/api/status").status == 200
    assert "went away" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_a_garbled_request_gets_a_json_error(server: DashboardServer) -> None:
    with socket.create_connection((server.server_name, server.server_port), timeout=5) as conn:
        conn.sendall(b"GET /api/status HTTP/1.1\r\n" + b"X-Many: headers\r\n" * 101 + b"\r\n")
        answer = conn.makefile("rb").read()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431") and b"Content-Type: application/json" in head
    assert body == b'{"error": "Too many headers"}'


def test_keep_alive_and_closing_after_an_unread_body(server: DashboardServer) -> None:
    conn = http.client.HTTPConnection(server.server_name, server.server_port, timeout=5)
    try:
        for _ in range(3):  # one connection, several requests
            conn.request("GET", "/api/status")
            response = conn.getresponse()
            assert response.status == 200 and response.getheader("Connection") is None
            response.read()
        conn.request("POST", "/api/dlq/retry", body=b'{"all": true}')  # no JSON type
        refused = conn.getresponse()
        assert refused.status == 415 and refused.getheader("Connection") == "close"
    finally:
        conn.close()


# -- hosts (DNS rebinding) -------------------------------------------------------------------------


def test_only_known_host_names_are_answered(client: Client, server: DashboardServer) -> None:
    port = server.server_port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "[::1]:8080", "app.localhost"):
        assert client.get("/api/status", {"Host": host}).status == 200, host
    rebound = client.get("/api/status", {"Host": f"attacker.example:{port}"})
    assert rebound.status == 403
    assert rebound.error.startswith("host 'attacker.example:")
    assert client.get("/", {"Host": "attacker.example"}).status == 403


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("example.com:8080", "example.com"),
        ("Example.COM", "example.com"),
        ("[::1]:8080", "::1"),
        ("[fe80::1]", "fe80::1"),
        ("::1", "::1"),
        ("10.0.0.1:80", "10.0.0.1"),
    ],
)
def test_host_names(header: str, name: str) -> None:
    assert host_name(header) == name


def test_host_check_allows_what_it_was_told() -> None:
    check = HostCheck(["queue.example.org"])
    assert check.allows("queue.example.org:443") and check.allows("192.168.1.5")
    assert check.allows(None) and not check.allows("other.example.org")
    assert HostCheck(["*"]).allows("anything.example")


# -- the page ------------------------------------------------------------------------------------


def test_the_page_is_the_self_contained_app(client: Client) -> None:
    page = client.get("/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.text
    assert '<meta name="queuectl-refresh" content="2">' in html
    for part in ('id="counters"', 'id="jobs"', 'id="queues"', 'id="workers"', 'id="detail"'):
        assert part in html
    assert "/api/status" in html and "/api/dlq/" in html and "/cancel" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from the network
    assert "innerHTML" not in html and "outerHTML" not in html  # job data only as text


def test_the_page_policy_allows_exactly_its_inline_code(client: Client) -> None:
    page = client.get("/")
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";")
    )
    for tag in ("script", "style"):
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page.text, re.S)
        assert len(bodies) == 1
        digest = base64.b64encode(hashlib.sha256(bodies[0].encode()).digest()).decode()
        assert policy[f"{tag}-src"] == f"'sha256-{digest}'"
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'"


def test_security_headers_on_every_answer(client: Client) -> None:
    for response in (client.get("/"), client.get("/api/status"), client.get("/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Server"] == "queuectl-dashboard"


def test_the_url_names_the_bound_port(server: DashboardServer) -> None:
    url = urlsplit(server.url)
    assert (url.hostname, url.port) == ("127.0.0.1", server.server_port) and url.port
