"""The ``webhook`` plugin: POSTs the chosen job events to ``webhook_urls``.

The entry point names :data:`plugin`, a :class:`~queuectl_core.pluginkit.notifier.Notifier`.
Hooks only queue the event (see :mod:`queuectl_webhook.dispatcher`); the HTTP
machinery is imported the first time there is something to send, so commands
that send nothing do not pay for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from queuectl_core.hookspecs import hookimpl
from queuectl_core.pluginkit.lazy import Lazy
from queuectl_core.pluginkit.notifier import JobEvent, Notifier
from queuectl_webhook.options import SETTINGS

if TYPE_CHECKING:
    import click

    from queuectl_core.settings import Setting, Settings
    from queuectl_webhook.dispatcher import Dispatcher


def _new_dispatcher() -> Dispatcher:
    from queuectl_webhook.dispatcher import Dispatcher

    dispatcher = Dispatcher()
    os.register_at_fork(after_in_child=dispatcher.forget)
    return dispatcher


class WebhookPlugin(Notifier):
    """Queues a delivery to every URL of ``webhook_urls`` for each chosen event."""

    events_setting = "webhook_events"

    def __init__(self) -> None:
        super().__init__()
        self.dispatcher = Lazy(_new_dispatcher)  # made by the first event to send

    @hookimpl
    def queuectl_register_settings(self, register: Callable[[Setting], None]) -> None:
        for setting in SETTINGS:
            register(setting)

    @hookimpl
    def queuectl_register_commands(self, cli: click.Group) -> None:
        from queuectl_webhook.command import webhook

        cli.add_command(webhook)

    def notify(self, event: JobEvent, settings: Settings) -> None:
        urls = settings["webhook_urls"].split()
        if not urls:
            return
        from queuectl_webhook.event import new_delivery
        from queuectl_webhook.retries import Policy

        policy = Policy(
            settings["webhook_secret"], settings["webhook_timeout"], settings["webhook_retries"]
        )
        self.dispatcher.get().send(urls, new_delivery(event), policy)

    def close(self) -> None:
        if (dispatcher := self.dispatcher.made) is not None:
            dispatcher.close()


plugin = WebhookPlugin()
