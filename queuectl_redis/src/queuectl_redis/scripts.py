"""The Lua scripts that change (and consistently read) a namespace.

Every state change that touches more than one key is one script, so it is atomic
on a standalone server and on a cluster alike. Each script is the constants Python
hands it (:func:`constants`), ``lua/lib.lua``, then its own file, run as a function
after which the index writes the library buffered are applied (``flush``); scripts
run by hash (``EVALSHA``) and redis-py loads them again when a server answers
``NOSCRIPT`` (after a restart or failover). What a script is told to do arrives as
a named record (see :mod:`.records`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from redis.exceptions import NoScriptError

from queuectl_core.job import CANCELLABLE, EXPIRABLE, FINAL_STATES, READY_STATES, State
from queuectl_redis.codec import CLAIM_FIELDS

NAMES = (
    "enqueue", "finish", "finish_and_claim", "release", "renew", "expired", "leased_by",
    "get_jobs", "list_jobs", "attempts", "next_due", "cancel", "retry_dead", "purge",
    "load_settings", "save_setting", "register_worker", "heartbeat", "unregister_worker",
    "workers", "request_stop", "add_stats", "save_schedule", "advance_schedule",
    "remove_schedule", "due_schedules", "list_schedules", "dependents", "settle", "expire",
    "append_output",
    "resume_queues",
    "set_progress", "extend_timeout",
)  # fmt: skip


#: Jobs changed per script call when every job in a state is retried or purged; the
#: scripts get it as their ``BATCH`` (see :func:`constants`), so both sides read one number.
BATCH = 500


def constants() -> str:
    """Lua definitions of what core and the codec define, so the scripts never keep a
    copy: ``BATCH``; the sets ``WAITING`` (core's ``READY_STATES``: a job in one waits
    in a queue's ready or scheduled set), ``KNOWN`` (every state), ``CANCELLABLE``,
    ``FINAL`` (core's ``FINAL_STATES``) and ``EXPIRABLE``;
    and ``CLAIM_FIELDS``, the job fields a claim answers with."""
    return (
        f"local BATCH = {BATCH}\n"
        f"local WAITING = {_lua_set(READY_STATES)}\n"
        f"local KNOWN = {_lua_set(State)}\n"
        f"local CANCELLABLE = {_lua_set(CANCELLABLE)}\n"
        f"local FINAL = {_lua_set(FINAL_STATES)}\n"
        f"local EXPIRABLE = {_lua_set(EXPIRABLE)}\n"
        f"local CLAIM_FIELDS = {{{', '.join(map(_lua_text, CLAIM_FIELDS))}}}\n"
    )


def _lua_set(states: Iterable[State]) -> str:
    return "{" + ", ".join(f"[{_lua_text(state.value)}] = true" for state in states) + "}"


def _lua_text(name: str) -> str:
    """A Lua string literal of a plain ASCII name (JSON quotes those as Lua does)."""
    return json.dumps(name)


@cache
def source(name: str) -> str:
    """The full text of one script: the :func:`constants`, the shared library, then the
    script itself as a function whose answer is returned once the buffered index writes
    are applied."""
    lua = resources.files(__package__).joinpath("lua")
    body = lua.joinpath(f"{name}.lua").read_text()
    return (
        constants()
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
