"""Test helpers for code that runs against a real Redis: server processes and fixtures.

``servers`` starts real ``redis-server`` processes (standalone or a small cluster) on free
loopback ports; ``fixtures`` is a pytest plugin, registered as the ``queuectl_redis``
``pytest11`` entry point, so its fixtures (``redis_server``, ``redis_options``,
``redis_password_server``, ``redis_password_options``, ``redis_cluster``,
``redis_cluster_options``, ``fresh_redis_server``, ``redis_binary``)
are available to every test wherever queuectl-redis is installed.
"""
