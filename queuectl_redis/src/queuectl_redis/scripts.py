"""The Lua scripts that change (and consistently read) a namespace.

Every state change that touches more than one key is one script, so it is atomic
on a standalone server and on a cluster alike. Each script is ``lua/lib.lua``
followed by its own file, run as a function after which the index writes the
library buffered are applied (``flush``); scripts run by hash (``EVALSHA``) and
redis-py loads them again when a server answers ``NOSCRIPT`` (after a restart or
failover).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from redis.exceptions import NoScriptError

NAMES = (
    "enqueue", "finish", "finish_and_claim", "release", "renew", "expired", "leased_by",
    "get_jobs", "list_jobs", "attempts", "next_due", "cancel", "retry_dead", "purge",
    "load_settings", "save_setting", "register_worker", "heartbeat", "unregister_worker",
    "workers", "request_stop", "add_stats",
)  # fmt: skip


#: Jobs changed per script call when every job in a state is retried or purged; the
#: scripts get it as their ``BATCH`` (see :func:`source`), so both sides read one number.
BATCH = 500


@cache
def source(name: str) -> str:
    """The full text of one script: ``BATCH``, the shared library, then the script
    itself as a function whose answer is returned once the buffered index writes are
    applied."""
    lua = resources.files(__package__).joinpath("lua")
    body = lua.joinpath(f"{name}.lua").read_text()
    return (
        f"local BATCH = {BATCH}\n"
        + lua.joinpath("lib.lua").read_text()
        + f"\nlocal function script()\n{body}\nend\n"
        + "local answer = script()\nflush()\nreturn answer\n"
    )


class Scripts:
    """The scripts registered on one client, called with the namespace in front."""

    def __init__(self, client: Any, namespace: str, route_key: str) -> None:
        self._client = client
        self._namespace = namespace
        self._route_key = route_key  # any key of the namespace: tells a cluster the slot
        self._scripts = {name: client.register_script(source(name)) for name in NAMES}

    def __call__(self, name: str, *args: str | bytes | int | float) -> Any:
        script = self._scripts[name]
        try:  # EVALSHA straight away: redis-py's Script call costs a worker more per job
            return self._client.evalsha(script.sha, 1, self._route_key, self._namespace, *args)
        except NoScriptError:  # a restarted server, a failover: Script loads it again
            return script(keys=[self._route_key], args=[self._namespace, *args])

    def run(self, name: str, args: Sequence[str | bytes | int | float]) -> Any:
        return self(name, *args)
