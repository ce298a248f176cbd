"""Calling hooks so that no plugin can break the caller: the one place hooks are called.

It is handed a hook (``get_plugin_manager().hook.queuectl_...``) and imports nothing
of queuectl, so the plugin manager can use it too.

pluggy stops calling the remaining implementations when one raises, so
:func:`calls` calls them one at a time, in pluggy's order (last registered
first). A failure is logged as one line naming the plugin, the hook and where it
raised (the whole traceback at debug level), and the next implementation runs.

``QUEUECTL_TRACE_PLUGINS=1`` logs every call, with its plugin and duration, to
stderr (a worker's log file, for workers).
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pluggy import HookCaller, HookImpl

log = logging.getLogger("queuectl.plugins")
trace_log = logging.getLogger("queuectl.plugins.trace")


def _tracing() -> bool:
    """Whether ``QUEUECTL_TRACE_PLUGINS`` is on; if so, trace lines go to stderr."""
    if os.environ.get("QUEUECTL_TRACE_PLUGINS", "") in ("", "0"):
        return False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s.%(msecs)03d trace %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    trace_log.addHandler(handler)
    trace_log.setLevel(logging.INFO)
    trace_log.propagate = False  # one line, whatever the process's logging set-up
    return True


#: Read once per process, so a call that traces nothing pays one boolean test.
TRACE = _tracing()


class Arguments(dict[str, Any]):
    """A hook's arguments by name; a deferred one is made when an implementation names it.

    ``arguments = Arguments({"job": job})`` then ``arguments.deferred = {"settings":
    queue.settings}`` loads the settings only if some plugin asks for them (a pluggy
    opt-in argument), once per hook call. Built that way, not by an ``__init__`` of its
    own: events build one per call, and dict's own is several times faster.
    """

    __slots__ = ("deferred",)
    deferred: dict[str, Callable[[], Any]]

    def __missing__(self, name: str) -> Any:
        value = self[name] = self.deferred[name]()
        return value


def calls(hook: HookCaller, kwargs: Mapping[str, Any]) -> Iterator[bool]:
    """Call each implementation of ``hook``, yielding whether it returned normally.

    Each implementation receives the arguments of ``kwargs`` it names (pluggy's
    opt-in arguments). A caller that gathers what each plugin registered keeps or
    drops it after each step.
    """
    for impl in reversed(hook.get_hookimpls()):  # pluggy's order: last registered first
        yield _call(impl, hook.name, kwargs)


def call_each(hook: HookCaller, kwargs: Mapping[str, Any]) -> None:
    """Call every implementation of ``hook`` (``pm.hook.queuectl_...``), isolating failures."""
    for impl in reversed(hook.get_hookimpls()):  # not calls(): events are on the hot path
        _call(impl, hook.name, kwargs)


def _call(impl: HookImpl, hook_name: str, kwargs: Mapping[str, Any]) -> bool:
    """Call one implementation; log its failure and, if tracing, the call."""
    started = time.perf_counter() if TRACE else 0.0
    try:
        impl.function(*[kwargs[name] for name in impl.argnames])
        ok = True
    except Exception as exc:
        log.warning(
            "plugin %s failed in %s: %s",
            impl.plugin_name,
            hook_name,
            describe_failure(exc),
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        ok = False
    if TRACE:
        _trace(hook_name, impl.plugin_name, time.perf_counter() - started, ok)
    return ok


def describe_failure(exc: BaseException) -> str:
    """``Type: message (at file:line)``, the line being where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _trace(hook_name: str, plugin: str, seconds: float, ok: bool) -> None:
    outcome = "" if ok else " (raised)"
    trace_log.info("%s plugin=%s %.3f ms%s", hook_name, plugin, seconds * 1000, outcome)
