"""Python handlers that tests/test_executors.py runs through the python executor."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

NOT_CALLABLE = 42


def greet(name: str, punctuation: str = "!") -> str:
    print(f"greeting {name}")
    return f"hello {name}{punctuation}"


def write_streams() -> None:
    print("to stdout")
    print("to stderr", file=sys.stderr)
    sys.stdout.buffer.write(b"raw \xff bytes\n")


def returns_tuple() -> tuple[int, str]:
    return (1, "two")


def returns_set() -> set[int]:
    return {3}


def fail(message: str) -> None:
    raise ValueError(message)


def exit_with(code: int) -> None:
    sys.exit(code)


def stubborn_sleep(seconds: float) -> str:
    """Sleeps in Python code and swallows every ``Exception`` on the way."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            time.sleep(0.01)
    return "woke up"


def touch(path: str) -> None:
    Path(path).touch()


class Greeter:
    @staticmethod
    def shout(**kwargs: Any) -> str:
        return str(kwargs).upper()


async def greet_later(name: str, delay: float = 0.01) -> str:
    import asyncio

    await asyncio.sleep(delay)
    print(f"greeted {name} after {delay}s")
    return f"hello {name}"


async def async_fail(message: str) -> None:
    import asyncio

    await asyncio.sleep(0)
    raise ValueError(message)


async def async_sleep(seconds: float) -> str:
    """Sleeps in the event loop and swallows every ``Exception`` on the way."""
    import asyncio

    with contextlib.suppress(Exception):
        await asyncio.sleep(seconds)
    return "woke up"


def returns_nested_datetime() -> dict[str, Any]:
    import datetime

    return {"when": datetime.datetime(2024, 1, 1)}


def returns_nan() -> float:
    return float("nan")
