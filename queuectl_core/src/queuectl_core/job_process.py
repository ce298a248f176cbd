"""A job's own working directory (``cwd``) and environment variables (``env``).

Both are checked when the job is built (:mod:`queuectl_core.jobspec`) and applied
by executors that run the job in a process of its own (the shell executor); a
Python handler runs inside the worker, whose directory and environment one job
cannot change, so a job for one is refused with them. ``env`` values often hold
secrets: no message here shows one, only the variable's name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

from queuectl_core import limits
from queuectl_core.errors import InvalidJobError
from queuectl_core.limits import shown

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: queuectl's own variables, which a job may not set (docs/configuration.md).
RESERVED_PREFIX = "QUEUECTL_"
NAME_RULE = "letters, digits and _, not starting with a digit"


def check_cwd(value: Any) -> str | None:
    """``value`` as a job's ``cwd``: ``None`` (the worker's directory) or an absolute
    path of at most ``limits.CWD_BYTES`` without NUL; else ``InvalidJobError``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidJobError(f"cwd must be a directory's absolute path, got {shown(value)}")
    if not limits.is_unicode(value):
        raise InvalidJobError("cwd is not valid Unicode text")
    if "\x00" in value:
        raise InvalidJobError("cwd must not contain a NUL byte")
    if len(value.encode()) > limits.CWD_BYTES:
        raise InvalidJobError(f"cwd must be at most {limits.CWD_BYTES} bytes of UTF-8")
    if not os.path.isabs(value):
        raise InvalidJobError(
            f"cwd must be an absolute path, got {shown(value)} (the command line resolves "
            "a relative one against its own directory)"
        )
    return value


def resolved_cwd(value: str, base: str) -> str:
    """``value`` as given on the command line (relative: to ``base``), as an absolute path."""
    return os.path.normpath(os.path.join(base, os.path.expanduser(value)))


def check_env(value: Any) -> dict[str, str]:
    """``value`` as a job's ``env``: an object of variable names to string values
    (``None``: none); else ``InvalidJobError``, which never shows a value."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidJobError(f"env must be an object of names to strings, got {_kind(value)}")
    if len(value) > limits.ENV_VARIABLES:
        raise InvalidJobError(
            f"env may set at most {limits.ENV_VARIABLES} variables, got {len(value)}"
        )
    size = 0
    for name, text in value.items():
        check_name(name)
        if not isinstance(text, str):
            raise InvalidJobError(f"env: the value of {name} must be a string, got {_kind(text)}")
        if not limits.is_unicode(text):
            raise InvalidJobError(f"env: the value of {name} is not valid Unicode text")
        if "\x00" in text:
            raise InvalidJobError(f"env: the value of {name} must not contain a NUL byte")
        size += len(name) + 1 + len(text.encode())
    if size > limits.ENV_BYTES:
        raise InvalidJobError(
            f"env must be at most {limits.ENV_BYTES // 1024} KiB as NAME=VALUE texts, "
            f"got {size} bytes"
        )
    return dict(value)


def check_name(name: Any) -> str:
    """``name`` if it may be a job's environment variable; else ``InvalidJobError``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidJobError(f"env: {shown(name)} is not a variable name ({NAME_RULE})")
    if name.startswith(RESERVED_PREFIX):
        raise InvalidJobError(
            f"env: {name} is queuectl's own ({RESERVED_PREFIX}* variables are set by the worker)"
        )
    return name


def env_from_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``--env NAME=VALUE`` options as an ``env`` object; ``InvalidJobError`` for an
    option without ``=`` or a name given twice (never showing a value)."""
    env: dict[str, str] = {}
    for number, pair in enumerate(pairs, 1):
        name, equals, text = pair.partition("=")
        if not equals:
            raise InvalidJobError(f"--env: option {number} is not NAME=VALUE")
        if name in env:
            raise InvalidJobError(f"--env: {check_name(name)} is given twice")
        env[check_name(name)] = text
    return env


def cwd_problem(cwd: str) -> str | None:
    """Why a job cannot run in ``cwd`` on this host (``working directory /x does not
    exist``), or ``None`` when it can; asked by the worker before it starts the job."""
    try:
        if os.path.isdir(cwd):
            if os.access(cwd, os.X_OK):
                return None
            return f"working directory {cwd} is not accessible (permission denied)"
        if os.path.lexists(cwd):
            return f"working directory {cwd} is not a directory"
    except (OSError, ValueError) as exc:
        return f"working directory {cwd} is not usable: {exc}"
    return f"working directory {cwd} does not exist"


def _kind(value: Any) -> str:
    """The JSON kind of ``value`` for an error that must not show it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
