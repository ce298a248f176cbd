"""Built-in handlers: ``noop`` (for benchmarks) and ``echo``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from queuectl_core.hookspecs import hookimpl


def noop(**_kwargs: Any) -> None:
    """Does nothing, whatever the payload: measures the queue's own overhead."""


def echo(**kwargs: Any) -> dict[str, Any]:
    """Prints its keyword arguments as JSON and returns them."""
    print(json.dumps(kwargs))
    return kwargs


@hookimpl
def queuectl_register_handlers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register("noop", noop)
    register("echo", echo)
