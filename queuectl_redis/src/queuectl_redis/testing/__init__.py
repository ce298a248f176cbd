"""Test helpers for code that runs against a real Redis: server processes and fixtures.

``servers`` starts real ``redis-server`` processes (standalone or a small cluster) on free
loopback ports; ``fixtures`` is an opt-in pytest plugin (``-p queuectl_redis.testing.fixtures``
or ``pytest_plugins`` in a top-level conftest) whose fixtures (``redis_server``,
``redis_options``, ``redis_password_server``, ``redis_password_options``, ``redis_cluster``,
``redis_cluster_options``, ``fresh_redis_server``, ``redis_binary``, ``backend_cli``) start
servers of their own for the tests that ask.
"""
