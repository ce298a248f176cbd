"""The Redis test servers themselves: they answer, keep AOF data across restarts, die when
killed, form a cluster that routes by slot, and clean up only their own namespace."""

from __future__ import annotations

import secrets
import socket
from contextlib import closing
from pathlib import Path

import pytest
import redis
import redis.cluster
from queuectl_redis.testing.servers import (
    RedisCluster,
    RedisServer,
    RedisServerError,
    key_namespace,
    namespace_pattern,
)


def test_standalone_server_answers(redis_server: RedisServer) -> None:
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_server.port != 6379
    with closing(redis.Redis.from_url(redis_server.url)) as client:
        assert client.ping()
        config = client.config_get("appendonly")
        assert config["appendonly"] == "yes"


def test_restart_reloads_the_aof(fresh_redis_server: RedisServer) -> None:
    port, first_pid = fresh_redis_server.port, fresh_redis_server.pid
    with closing(fresh_redis_server.client()) as client:
        client.set("survivor", b"before restart")

    fresh_redis_server.restart()

    assert fresh_redis_server.port == port
    assert fresh_redis_server.pid != first_pid
    with closing(fresh_redis_server.client()) as client:
        assert client.get("survivor") == b"before restart"


def test_kill_makes_the_server_unreachable(fresh_redis_server: RedisServer) -> None:
    fresh_redis_server.kill()

    assert not fresh_redis_server.running
    with closing(fresh_redis_server.client()) as client, pytest.raises(redis.ConnectionError):
        client.ping()


@pytest.mark.usefixtures("redis_binary")
def test_a_write_acknowledged_under_fsync_always_survives_sigkill(tmp_path: Path) -> None:
    with RedisServer(tmp_path, appendfsync="always") as server:
        with closing(server.client()) as client:
            client.rpush("journal", b"one", b"two")
        server.kill()
        server.start()
        with closing(server.client()) as client:
            assert client.lrange("journal", 0, -1) == [b"one", b"two"]


@pytest.mark.usefixtures("redis_binary")
def test_start_fails_with_the_log_tail(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, appendfsync="not-a-policy")
    with pytest.raises(RedisServerError, match=r"(?s)exited during start-up.*not-a-policy"):
        server.start()
    assert not server.running


@pytest.mark.usefixtures("redis_binary")
def test_a_picked_port_taken_before_start_is_replaced(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "picked")
    with socket.socket() as thief:  # bound, not listening: a bind conflict, no answers
        thief.bind(("127.0.0.1", server.port))
        taken = server.port
        with server:
            assert server.port != taken
            with closing(server.client()) as client:
                assert client.ping()
        given = RedisServer(tmp_path / "given", taken)
        with pytest.raises(RedisServerError, match="Address already in use"):
            given.start()


def test_cluster_routes_keys_of_different_slots(
    redis_cluster: RedisCluster, redis_cluster_options: dict[str, str]
) -> None:
    prefix = redis_cluster_options["prefix"]
    keys = [f"{prefix}:key-{index}" for index in range(30)]
    with closing(redis.cluster.RedisCluster.from_url(redis_cluster.url)) as cluster:
        for key in keys:
            cluster.set(key, key)
        assert [cluster.get(key) for key in keys] == [key.encode() for key in keys]
    owners = {node.port: _keys_on(node, prefix) for node in redis_cluster.nodes}
    assert sum(len(found) for found in owners.values()) == len(keys)
    assert all(owners.values()), f"some master holds none of 30 keys: {owners}"


def test_cluster_keeps_a_hash_tag_on_one_node(
    redis_cluster: RedisCluster, redis_cluster_options: dict[str, str]
) -> None:
    tag = "{" + redis_cluster_options["prefix"] + "}"
    keys = [f"{tag}:job:{index}" for index in range(10)]
    with closing(redis.cluster.RedisCluster.from_url(redis_cluster.url)) as cluster:
        cluster.mset({key: b"x" for key in keys})  # one multi-key command: one slot
        assert len({cluster.cluster_keyslot(key) for key in keys}) == 1
    holders = [node for node in redis_cluster.nodes if _keys_on(node, tag)]
    assert len(holders) == 1
    assert len(_keys_on(holders[0], tag)) == len(keys)


@pytest.mark.parametrize("topology", ["standalone", "cluster"])
def test_namespace_cleanup_deletes_only_its_prefix(
    topology: str, request: pytest.FixtureRequest
) -> None:
    nodes: list[RedisServer]
    if topology == "cluster":
        nodes = request.getfixturevalue("redis_cluster").nodes
    else:
        nodes = [request.getfixturevalue("redis_server")]
    urls = [node.url for node in nodes]
    prefix = f"qtest-{secrets.token_hex(6)}"
    outsider = f"outsider-{secrets.token_hex(6)}:{prefix[:6]}"  # shares "qtest-", not prefix
    with closing(_client(topology, urls[0])) as client:
        try:
            with key_namespace(urls, prefix):
                for key in (f"{{{prefix}}}:a", f"{prefix}:b", f"{prefix}-c:d", outsider):
                    client.set(key, b"x")
                assert sum(len(_keys_on(node, prefix)) for node in nodes) == 3
            assert all(not _keys_on(node, prefix) for node in nodes)
            assert client.get(outsider) == b"x"
        finally:
            client.unlink(outsider)


def test_namespace_pattern_matches_tagged_and_plain_keys() -> None:
    assert namespace_pattern("qtest-ab12") == "*qtest-ab12*"
    assert namespace_pattern("a*b?[c]") == "*a\\*b\\?\\[c\\]*"


def _keys_on(node: RedisServer, fragment: str) -> list[bytes]:
    """The keys containing ``fragment`` stored on this very node."""
    with closing(node.client()) as client:
        return list(client.scan_iter(match=namespace_pattern(fragment)))


def _client(topology: str, url: str) -> redis.Redis | redis.cluster.RedisCluster:
    """A client that routes each key to the node owning its slot (for a cluster)."""
    if topology == "cluster":
        return redis.cluster.RedisCluster.from_url(url)
    return redis.Redis.from_url(url)
