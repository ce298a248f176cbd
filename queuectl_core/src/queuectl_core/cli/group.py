"""The root command group: lazy built-in commands, plugin commands, one-line errors."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

import click

from queuectl_core.errors import QueuectlError

#: Exit status after Ctrl-C, as shells report a process killed by SIGINT.
EXIT_INTERRUPTED = 130


class CliError(click.ClickException):
    """A one-line ``Error: ...`` on stderr and exit status 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        lines = (line.strip() for line in message.splitlines())
        super().__init__(" ".join(line for line in lines if line) or "failed")


def input_error(exc: BaseException) -> CliError | None:
    """The one-line error for what bad input can still raise past validation
    (text that is not Unicode, JSON too deep, a number too large), else ``None``.

    Only a last resort: values are checked where they come in (:mod:`queuectl_core.limits`).
    """
    if isinstance(exc, UnicodeError):
        return CliError("a value is not valid Unicode text (a lone surrogate or not UTF-8)")
    if isinstance(exc, RecursionError):
        return CliError("a value is nested too deeply")
    if isinstance(exc, OverflowError):
        return CliError(f"a number is out of range: {exc}")
    return None


def non_unicode_argument(args: list[str]) -> str | None:
    """The usage error for the first command-line argument that is not UTF-8, if any."""
    from queuectl_core.limits import is_unicode, shown

    for number, arg in enumerate(args, 1):
        if not is_unicode(arg):
            raw = arg.encode("utf-8", "surrogateescape" if _escaped(arg) else "backslashreplace")
            return f"argument {number} ({shown(raw)}) is not UTF-8 text, which queuectl stores"
    return None


def _escaped(text: str) -> bool:
    """Whether every surrogate in ``text`` stands for a byte (``surrogateescape``)."""
    return all("\udc80" <= char <= "\udcff" for char in text if "\ud800" <= char <= "\udfff")


def internal_error(exc: BaseException) -> CliError:
    """The message for an exception queuectl did not expect."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return CliError(f"internal error: {what} (set QUEUECTL_DEBUG=1 for the traceback)")


class SuggestingGroup(click.Group):
    """A group that answers an unknown command with the names closest to it."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if (
            name
            and not name.startswith("-")
            and not ctx.resilient_parsing
            and self.get_command(ctx, name) is None
        ):
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.6)
            if close:
                ctx.fail(
                    f"No such command {name!r}. Did you mean "
                    + " or ".join(repr(match) for match in close)
                    + "?"
                )
        return super().resolve_command(ctx, args)


class QueuectlGroup(SuggestingGroup):
    """A group whose built-in commands import on first use.

    ``lazy_commands`` maps command names to ``"module:attribute"``. Plugin commands
    (``queuectl_register_commands``) are loaded only for a name that is not built
    in, or to list every command in ``--help``, so common commands never pay for
    scanning plugins.
    """

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)
        self._plugins_loaded = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_plugin_commands()
        return sorted(set(self.lazy_commands) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_commands.get(cmd_name)
        if target is not None:
            module_name, _, attribute = target.partition(":")
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        if cmd_name not in self.commands:
            self.load_plugin_commands()
        return self.commands.get(cmd_name)

    def load_plugin_commands(self) -> None:
        """Let every plugin add its commands, once; a failing plugin is only logged."""
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from queuectl_core.dispatch import call_each
        from queuectl_core.plugins import get_plugin_manager

        call_each(get_plugin_manager().hook.queuectl_register_commands, {"cli": self})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse an argument that is not UTF-8 before any command sees it."""
        problem = non_unicode_argument(args)
        if problem is not None:
            raise click.UsageError(problem, ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning every error into a one-line message."""
        try:
            return super().invoke(ctx)
        except QueuectlError as exc:
            raise CliError(str(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:
            if os.environ.get("QUEUECTL_DEBUG", "") not in ("", "0"):
                raise
            raise (input_error(exc) or internal_error(exc)) from exc
