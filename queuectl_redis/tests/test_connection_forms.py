"""Every documented way to reach Redis, against one real server: an ACL user with a
password and a database number, a Unix socket, and TLS with a private CA."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from queuectl_redis.testing.servers import RedisServer, free_port

from queuectl_core.config import Location
from queuectl_core.errors import QueuectlError
from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.storage import ClaimRequest, Transition
from queuectl_core.testing import JobFactory

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))
PASSWORD = "s3cret-Pa55"


def make_certificates(directory: Path) -> dict[str, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1, made with openssl."""
    paths = {name: directory / f"{name}.pem" for name in ("ca", "ca-key", "cert", "key")}
    csr, ext = directory / "server.csr", directory / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    commands = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
         "-keyout", paths["ca-key"], "-out", paths["ca"]],
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", paths["key"], "-out", csr],
        ["x509", "-req", "-in", csr, "-CA", paths["ca"], "-CAkey", paths["ca-key"],
         "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", paths["cert"]],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)
    return paths


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_binary: object) -> Iterator[dict]:
    directory = tmp_path_factory.mktemp("forms")
    certs = make_certificates(directory)
    tls_port = free_port()
    socket_path = directory / "redis.sock"
    config = [
        f"unixsocket {socket_path}",
        "unixsocketperm 700",
        f"user queue on >{PASSWORD} ~* &* +@all",
        f"tls-port {tls_port}",
        f"tls-cert-file {certs['cert']}",
        f"tls-key-file {certs['key']}",
        f"tls-ca-cert-file {certs['ca']}",
        "tls-auth-clients no",
    ]
    with RedisServer(directory, extra_config=config) as running:
        yield {
            "acl": f"redis://queue:{PASSWORD}@127.0.0.1:{running.port}/2",
            "unix": f"unix://{socket_path}?db=3",
            "tls": f"rediss://127.0.0.1:{tls_port}/0?ssl_ca_certs={certs['ca']}",
            "wrong password": f"redis://queue:nope@127.0.0.1:{running.port}/0",
            "tls untrusted": f"rediss://127.0.0.1:{tls_port}/0",
            "plain": running.url,
        }


@pytest.mark.parametrize("form", ["acl", "unix", "tls"])
def test_a_job_round_trip_through_each_connection_form(server: dict, form: str) -> None:
    prefix = f"forms-{form}-{os.getpid()}-{time.monotonic_ns()}"
    storage = Location(backend="redis", options={"url": server[form], "prefix": prefix}).open()
    try:
        storage.enqueue([JobFactory()("j1")])
        claim = storage.claim(ClaimRequest("w1", None, time.time(), time.time() + 30))
        assert claim is not None and claim.job.id == "j1"
        done = AttemptResult(Outcome.SUCCEEDED, finished_at=time.time(), exit_code=0)
        assert storage.finish("j1", claim.token, Transition(State.COMPLETED, done))
        assert storage.get("j1").state is State.COMPLETED
        assert PASSWORD not in storage.describe()
        storage.purge([State.COMPLETED])
    finally:
        storage.close()


def test_the_acl_user_lands_in_its_database(server: dict) -> None:
    import redis

    prefix = f"forms-db-{time.monotonic_ns()}"
    storage = Location(backend="redis", options={"url": server["acl"], "prefix": prefix}).open()
    try:
        storage.enqueue([JobFactory()("in-db-2")])
        base = server["plain"].rsplit("/", 1)[0]
        assert redis.Redis.from_url(f"{base}/2").keys(f"*{prefix}*"), "keys are in database 2"
        assert not redis.Redis.from_url(f"{base}/0").keys(f"*{prefix}*")
        storage.purge([State.PENDING])
    finally:
        storage.close()


@pytest.mark.parametrize("form", ["wrong password", "tls untrusted"])
def test_a_refused_connection_is_a_one_line_error(server: dict, form: str) -> None:
    with pytest.raises(QueuectlError) as failure:
        storage = Location(backend="redis", options={"url": server[form]}).open()
        try:
            storage.counts()
        finally:
            storage.close()
    assert "\n" not in str(failure.value) and "nope" not in str(failure.value)
    proc = subprocess.run(
        [QUEUECTL, "--backend", "redis", "--db", server[form], "status"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("QUEUECTL_")},
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: ") and len(proc.stderr.strip().splitlines()) == 1


def test_the_cli_reaches_redis_through_the_global_flags(server: dict) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUEUECTL_")}
    env["QUEUECTL_REDIS_PREFIX"] = f"forms-cli-{time.monotonic_ns()}"
    base = [QUEUECTL, "--backend", "redis", "--db", server["tls"]]
    job_id = subprocess.run(
        [*base, "enqueue", "--command", "true"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    shown = subprocess.run(
        [*base, "status"], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "redis" in shown and "pending" in shown.lower()
    subprocess.run([*base, "cancel", job_id], env=env, capture_output=True, check=True)
    subprocess.run(
        [*base, "purge", "--state", "cancelled", "--yes"], env=env, capture_output=True, check=True
    )
