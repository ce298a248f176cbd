"""The ``callback`` plugin: runs ``callback_command`` on the chosen job events.

The entry point names :data:`plugin`, a :class:`~queuectl_core.pluginkit.notifier.Notifier`.
Kept import-light: every ``queuectl`` command loads the plugin, so the runner
(``subprocess``) and the job's environment load with the first callback to start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from queuectl_callback.options import SETTINGS
from queuectl_core.hookspecs import hookimpl
from queuectl_core.pluginkit.lazy import Lazy
from queuectl_core.pluginkit.notifier import JobEvent, Notifier

if TYPE_CHECKING:
    from queuectl_callback.runner import CallbackRunner
    from queuectl_core.settings import Setting, Settings


def _new_runner() -> CallbackRunner:
    from queuectl_callback.runner import CallbackRunner

    return CallbackRunner()


class CallbackPlugin(Notifier):
    """Starts ``callback_command`` detached for each event ``callback_events`` chooses."""

    events_setting = "callback_events"

    def __init__(self) -> None:
        super().__init__()
        self.runner = Lazy(_new_runner)  # made for the first callback

    @hookimpl
    def queuectl_register_settings(self, register: Callable[[Setting], None]) -> None:
        for setting in SETTINGS:
            register(setting)

    def observe(self, event: JobEvent, settings: Settings) -> None:
        if (runner := self.runner.made) is not None:
            runner.reap()  # every event, chosen or not, kills overdue callbacks
        super().observe(event, settings)

    def notify(self, event: JobEvent, settings: Settings) -> None:
        command = settings["callback_command"]
        if not command:
            return
        from queuectl_callback.environment import callback_environ

        environ = callback_environ(event)
        self.runner.get().start(command, environ, settings["callback_timeout"])

    def close(self) -> None:
        if (runner := self.runner.made) is not None:
            runner.drain()


plugin = CallbackPlugin()
