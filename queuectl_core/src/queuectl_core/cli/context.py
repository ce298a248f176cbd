"""What every command shares: the backend location and an open queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from queuectl_core.config import Location
    from queuectl_core.queue import Queue


class AppContext:
    """The root options; the queue opens on first use and closes when the command ends.

    A plain class: every command imports this module, and generating a dataclass's
    methods would cost more start-up time than the rest of it.
    """

    def __init__(
        self, config_file: str | None = None, backend: str | None = None, db: str | None = None
    ) -> None:
        self.config_file = config_file
        self.backend = backend
        self.db = db
        self._location: Location | None = None
        self._queue: Queue | None = None

    def __repr__(self) -> str:
        return (
            f"AppContext(config_file={self.config_file!r}, backend={self.backend!r}, "
            f"db={self.db!r})"
        )

    def location(self) -> Location:
        """The backend chosen by flags, environment and config file."""
        if self._location is None:
            from queuectl_core.config import resolve

            self._location = resolve(config_file=self.config_file, backend=self.backend, db=self.db)
        return self._location

    def queue(self, *, create: bool = True) -> Queue:
        """The open queue of the chosen backend.

        Commands that only read (or change jobs that must exist) pass ``create=False``:
        a mistyped ``--db`` then fails with ``NoQueueError`` instead of creating an
        empty queue there.
        """
        if self._queue is None:
            from queuectl_core.queue import Queue

            self._queue = Queue.open(self.location(), create=create)
        return self._queue

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()
            self._queue = None


pass_app = click.make_pass_decorator(AppContext)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def split_names(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...] | None:
    """Callback for repeatable, comma-separated name options; ``None`` when not given."""
    names = tuple(name.strip() for value in values for name in value.split(",") if name.strip())
    if values and not names:
        raise click.BadParameter("expected one or more names separated by commas")
    return names or None


def parse_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Callback for duration options: seconds, or ``30s``, ``5m``, ``2h``."""
    if value is None:
        return None
    from queuectl_core import units

    try:
        return units.parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


F = TypeVar("F", bound=Callable[..., Any])


def queues_option(help_text: str) -> Callable[[F], F]:
    """``-q/--queue QUEUE[,QUEUE]``, repeatable, as ``queues`` (``None`` when not given)."""
    return click.option(
        "-q",
        "--queue",
        "queues",
        multiple=True,
        callback=split_names,
        metavar="QUEUE[,QUEUE]",
        help=help_text,
    )
