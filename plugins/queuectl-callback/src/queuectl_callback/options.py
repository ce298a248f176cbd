"""The runtime settings of the callback plugin."""

from __future__ import annotations

from queuectl_core import limits
from queuectl_core.pluginkit.notifier import events_setting
from queuectl_core.settings import Setting, duration_in

SETTINGS = (
    Setting(
        "callback_command",
        "",
        str,
        "Shell command run on the chosen job events (empty: off); job fields in QUEUECTL_*.",
    ),
    events_setting("callback_events", "that run callback_command"),
    Setting(
        "callback_timeout",
        10.0,
        duration_in(limits.CALLBACK_TIMEOUT),
        "A callback still running after this long is killed (1ms to 1 day).",
        "s",
    ),
)
