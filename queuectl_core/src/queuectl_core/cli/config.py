"""``queuectl config``: runtime settings stored in the backend and shared by every worker."""

from __future__ import annotations

from typing import Any

import click

from queuectl_core import settings
from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.cli.group import SuggestingGroup

#: What a secret setting's value shows as, unless ``config get --reveal``.
MASK = "********"


def shown(name: str, value: Any) -> Any:
    """The value as printed: a secret one (when not empty) masked."""
    return MASK if settings.registry()[name].secret and value else value


def setting_view(name: str, value: Any, source: str) -> dict[str, Any]:
    """One setting for ``--json``."""
    setting = settings.registry()[name]
    return {
        "name": name,
        "value": shown(name, value),
        "source": source,
        "default": setting.default,
        "unit": setting.unit,
        "help": setting.help,
    }


@click.group(cls=SuggestingGroup)
def config() -> None:
    """Show and change runtime settings: retries, backoff, timeouts."""


@config.command("list")
@json_option
@pass_app
def list_settings(app: AppContext, as_json: bool) -> None:
    """Every setting with its value, whether it is set or the default, and its help."""
    current = app.queue(create=False).settings()
    registry = settings.registry()
    if as_json:
        render.emit_json(
            [setting_view(name, value, current.source(name)) for name, value in current.items()]
        )
        return
    click.echo(
        render.table(
            ("name", "value", "source", "help"),
            (
                (
                    name,
                    settings.format_value(shown(name, value))
                    + (f" {registry[name].unit}" if registry[name].unit else ""),
                    current.source(name),
                    registry[name].help,
                )
                for name, value in current.items()
            ),
        )
    )


@config.command("get")
@click.argument("key", required=False)
@click.option("--reveal", is_flag=True, help="Print a secret setting's value unmasked.")
@json_option
@pass_app
def get_setting(app: AppContext, key: str | None, reveal: bool, as_json: bool) -> None:
    """Print a setting's value (no KEY: every setting, as ``config list``)."""
    if key is None:
        click.get_current_context().invoke(list_settings, as_json=as_json)
        return
    current = app.queue(create=False).settings()
    value = current[key]
    view = setting_view(key, value, current.source(key))
    if reveal:
        view["value"] = value
    if as_json:
        render.emit_json(view)
    else:
        click.echo(settings.format_value(view["value"]))


@config.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key")
@click.argument("value")
@json_option
@pass_app
def set_setting(app: AppContext, key: str, value: str, as_json: bool) -> None:
    """Change a setting for every worker; prints the value as understood."""
    settings.validate(key, value)  # first: a refused value creates no queue
    parsed = app.queue().set_setting(key, value)
    if as_json:
        render.emit_json(setting_view(key, parsed, "set"))
    else:
        click.echo(settings.format_value(shown(key, parsed)))


@config.command("unset")
@click.argument("key")
@json_option
@pass_app
def unset_setting(app: AppContext, key: str, as_json: bool) -> None:
    """Return a setting to its default; prints the default."""
    queue = app.queue(create=False)
    queue.unset_setting(key)
    default = settings.registry()[key].default
    if as_json:
        render.emit_json(setting_view(key, default, "default"))
    else:
        click.echo(settings.format_value(default))
