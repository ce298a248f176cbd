"""Real ``redis-server`` processes for the tests: a standalone server and a small cluster.

Every server listens on 127.0.0.1 on a free port of its own, keeps its config, log and
AOF files in a directory of its own, and never touches the server on port 6379. Where
``setpriv`` exists, a server gets SIGTERM when the thread that started it exits, so even
a killed test run leaves no server behind; start servers from a long-lived thread.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from queuectl_redis.testing.binaries import CLI_BINARY, SERVER_BINARY

HOST = "127.0.0.1"
CLUSTER_BUS_OFFSET = 10000  # a cluster node also listens on its port + 10000
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.02
LOG_TAIL_LINES = 30
PORT_ATTEMPTS = 3  # a port picked as free may be taken before the server binds it
NAMESPACE_BATCH = 500


class RedisServerError(RuntimeError):
    """A server did not start, or a cluster did not form."""


def free_port(*, cluster_bus: bool = False) -> int:
    """A loopback port nothing listens on now (and port + 10000 too, for a cluster node)."""
    for _ in range(200):
        port = _bind_probe(0)
        if not cluster_bus:
            return port
        bus = port + CLUSTER_BUS_OFFSET
        if bus <= 65535 and _is_free(bus):
            return port
    raise RedisServerError("found no free loopback port with a free cluster bus port")


def _bind_probe(port: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, port))
        bound: int = probe.getsockname()[1]
        return bound


def _is_free(port: int) -> bool:
    try:
        _bind_probe(port)
    except OSError:
        return False
    return True


def _quote(value: str) -> str:
    """A redis.conf string argument: double-quoted, backslashes and quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1, configured by a file in ``directory``.

    ``restart()`` keeps the port and the directory, so an AOF written before is reloaded.
    """

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        *,
        appendonly: bool = True,
        appendfsync: str = "everysec",
        cluster_enabled: bool = False,
        extra_config: Sequence[str] = (),
        requirepass: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.requirepass = requirepass  # clients must AUTH with it; ``url`` carries it
        self.extra_config = tuple(extra_config)  # more redis.conf lines: ACL users, TLS...
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.cluster_enabled = cluster_enabled
        self._port_chosen = port is not None
        self._port = port if port is not None else free_port(cluster_bus=cluster_enabled)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The server's URL, with the password when it requires one."""
        credentials = "" if self.requirepass is None else f":{quote(self.requirepass, safe='')}@"
        return f"redis://{credentials}{HOST}:{self._port}/0"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    def client(self, **options: Any) -> redis.Redis:
        """A new redis-py client for this server; it fails at once when the server is down
        (no retries), so a dead server shows as ``redis.ConnectionError`` without delay."""
        options.setdefault("retry", Retry(NoBackoff(), 0))
        if self.requirepass is not None:
            options.setdefault("password", self.requirepass)
        return redis.Redis(host=HOST, port=self._port, socket_connect_timeout=1, **options)

    def start(self) -> RedisServer:
        """Spawn the server and return once it answers PING. A port picked here that
        another process took first is replaced by a new free one (never a given port)."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.spawn()
            try:
                self.wait_until_ready()
                return self
            except RedisServerError:
                if self._port_chosen or attempt == PORT_ATTEMPTS or not self._port_was_taken():
                    raise
            self._port = free_port(cluster_bus=self.cluster_enabled)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def spawn(self) -> None:
        """Start the process without waiting for it; ``wait_until_ready()`` waits."""
        if self.running:
            raise RedisServerError(f"redis-server on port {self._port} is already running")
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"
        config.write_text(self._config())
        command = [SERVER_BINARY, str(config)]
        if shutil.which("setpriv"):
            command = ["setpriv", "--pdeathsig", "TERM", "--", *command]
        with open(self.directory / "stdout.log", "ab") as output:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_until_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll PING until it answers; fail with the log tail if the server dies or hangs."""
        deadline = time.monotonic() + timeout
        with closing(self.client(socket_timeout=1)) as client:
            while True:
                if not self.running:
                    raise RedisServerError(self._failure("exited during start-up"))
                try:
                    if client.ping():
                        return
                except redis.RedisError:  # refused, or still loading the AOF
                    pass
                if time.monotonic() >= deadline:
                    self.kill()
                    raise RedisServerError(self._failure(f"did not answer PING in {timeout:g}s"))
                time.sleep(POLL_INTERVAL)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM (Redis flushes its AOF and exits) and wait; SIGKILL if it hangs."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or saved."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> RedisServer:
        """Stop (if running) and start again on the same port over the same directory."""
        self.stop()
        self._port_chosen = True  # the port is this server's identity from now on
        return self.start()

    def __enter__(self) -> RedisServer:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"RedisServer({self.url}, {state}, dir={self.directory})"

    def _config(self) -> str:
        lines = [
            f"bind {HOST}",
            f"port {self._port}",
            f"dir {_quote(str(self.directory))}",
            f"logfile {_quote(str(self.log_path))}",
            'save ""',
            f"appendonly {'yes' if self.appendonly else 'no'}",
            f"appendfsync {self.appendfsync}",
            "daemonize no",
        ]
        if self.cluster_enabled:
            lines += ["cluster-enabled yes", "cluster-config-file nodes.conf"]
        if self.requirepass is not None:
            lines.append(f"requirepass {_quote(self.requirepass)}")
        lines += self.extra_config
        return "\n".join(lines) + "\n"

    def _log_tail(self) -> str:
        tails = []
        for path in (self.directory / "stdout.log", self.log_path):
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
                tails.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(tails) or "(no log written)"

    def _failure(self, what: str) -> str:
        return f"redis-server on port {self._port} {what}; log tail:\n{self._log_tail()}"

    def _port_was_taken(self) -> bool:
        return "Address already in use" in self._log_tail()


class RedisCluster:
    """A Redis Cluster of ``masters`` nodes (no replicas), each a ``RedisServer``."""

    def __init__(self, directory: Path, masters: int = 3) -> None:
        if masters < 3:
            raise ValueError("a Redis Cluster needs at least 3 masters")
        self.directory = Path(directory)
        self.nodes = [
            RedisServer(self.directory / f"node-{index}", cluster_enabled=True)
            for index in range(masters)
        ]

    @property
    def url(self) -> str:
        """One node's URL: a cluster client discovers the others from it."""
        return self.urls[0]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self, timeout: float = START_TIMEOUT) -> RedisCluster:
        """Start every node, assign all slots with ``redis-cli --cluster create``, and
        return once every node reports ``cluster_state:ok``."""
        try:
            for node in self.nodes:
                node.spawn()
            for node in self.nodes:
                node.wait_until_ready()
            self._create(timeout)
            self._wait_until_ok(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> RedisCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _create(self, timeout: float) -> None:
        addresses = [f"{HOST}:{node.port}" for node in self.nodes]
        command = [CLI_BINARY, "--cluster", "create", *addresses]
        command += ["--cluster-replicas", "0", "--cluster-yes"]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise RedisServerError(f"redis-cli --cluster create hung for {timeout:g}s") from error
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise RedisServerError(f"redis-cli --cluster create failed:\n{output}")

    def _wait_until_ok(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.nodes)
        while pending:
            pending = [node for node in pending if not _cluster_ok(node)]
            if not pending:
                return
            if time.monotonic() >= deadline:
                ports = ", ".join(str(node.port) for node in pending)
                raise RedisServerError(f"cluster not ok after {timeout:g}s on ports {ports}")
            time.sleep(POLL_INTERVAL)


def _cluster_ok(node: RedisServer) -> bool:
    with closing(node.client(socket_timeout=1)) as client:
        try:
            info: dict[str, Any] = client.cluster("INFO")
        except redis.RedisError:
            return False
        return str(info.get("cluster_state")) == "ok"


def namespace_pattern(prefix: str) -> str:
    """The SCAN glob for a key namespace: any key containing ``prefix``, so both
    ``{prefix}:job:1`` (hash-tagged, as a cluster needs) and ``prefix:job:1`` match."""
    escaped = "".join("\\" + char if char in "*?[]\\" else char for char in prefix)
    return f"*{escaped}*"


def delete_namespace(urls: Sequence[str], prefix: str) -> int:
    """UNLINK every key of ``prefix`` on each server (each cluster master) and return
    how many went. Keys are unlinked one per command, so keys of different cluster
    slots never meet in one command. Nothing else on the servers is touched."""
    deleted = 0
    for url in urls:
        with closing(redis.Redis.from_url(url, socket_connect_timeout=1)) as client:
            keys = list(client.scan_iter(match=namespace_pattern(prefix), count=NAMESPACE_BATCH))
            for start in range(0, len(keys), NAMESPACE_BATCH):
                pipeline = client.pipeline(transaction=False)
                for key in keys[start : start + NAMESPACE_BATCH]:
                    pipeline.unlink(key)
                deleted += sum(int(count) for count in pipeline.execute())
    return deleted


@contextmanager
def key_namespace(urls: Sequence[str], prefix: str) -> Iterator[str]:
    """Yield ``prefix``; afterwards delete its keys (and only those) from ``urls``."""
    try:
        yield prefix
    finally:
        delete_namespace(urls, prefix)
