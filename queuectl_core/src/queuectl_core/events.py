"""Lifecycle event dispatch that no plugin can break.

pluggy stops calling the remaining implementations when one raises, so events are
dispatched one implementation at a time; a failure is logged, as one line naming
the plugin and where it raised (the whole traceback at debug level), and never
reaches the caller.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from queuectl_core.plugins import get_plugin_manager

log = logging.getLogger("queuectl.events")


def has_listeners(event: str) -> bool:
    """Whether any plugin implements ``queuectl_<event>`` (skip building arguments if not)."""
    return bool(getattr(get_plugin_manager().hook, f"queuectl_{event}").get_hookimpls())


def emit(event: str, **kwargs: Any) -> None:
    """Call every implementation of ``queuectl_<event>``, isolating failures."""
    hook = getattr(get_plugin_manager().hook, f"queuectl_{event}")
    for impl in reversed(hook.get_hookimpls()):  # pluggy's own call order: LIFO
        try:
            impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:
            log.warning(
                "plugin %s failed in queuectl_%s: %s",
                impl.plugin_name,
                event,
                describe_failure(exc),
                exc_info=log.isEnabledFor(logging.DEBUG),
            )


def describe_failure(exc: BaseException) -> str:
    """``Type: message (at file:line)``, the line being where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"
