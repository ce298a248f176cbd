"""queuectl-hello: the smallest complete queuectl plugin.

The entry point in pyproject.toml (``hello = "queuectl_hello.plugin"``) names this
module, and queuectl registers every ``@hookimpl`` function in it. It adds one of
each thing plugins usually add: a runtime setting (``hello_log``), a notifier (a
line in that file per finished job), a Python handler (``hello.greet``) and a
command (``queuectl hello``).

Every queuectl process imports this module, so it imports nothing heavy: the
command's module loads only when the CLI asks for plugin commands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queuectl_core import hookimpl
from queuectl_core.job import Job, State
from queuectl_core.settings import Setting, Settings

if TYPE_CHECKING:
    import click

    from queuectl_core.queue import Queue

# -- a runtime setting: stored in the backend, shared by every worker ------------------


def parse_log_path(text: str) -> str:
    """What ``queuectl config set hello_log TEXT`` stores; a ValueError refuses it."""
    path = text.strip()
    if path and not Path(path).is_absolute():
        raise ValueError("must be an absolute path (workers run in another directory)")
    return path


@hookimpl
def queuectl_register_settings(register: Callable[[Setting], None]) -> None:
    register(
        Setting(
            "hello_log",  # prefix names with the plugin's: settings share one namespace
            "",
            parse_log_path,
            "File where queuectl-hello appends a line per finished job (empty: off).",
        )
    )


# -- a notifier: lifecycle hooks, called in the worker after the state is stored -------


def append_line(path: str, job: Job, note: str = "") -> None:
    """Add one line about a finished ``job`` (and ``note``) to the file at ``path``."""
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{job.id} {job.state.value} after {job.attempts} attempt(s){note}\n")


@hookimpl
def queuectl_job_succeeded(job: Job, settings: Settings) -> None:  # only the arguments it needs
    if settings["hello_log"]:  # the settings in force, passed by queuectl
        append_line(settings["hello_log"], job)  # an exception is logged, the job unaffected


@hookimpl
def queuectl_job_dead(job: Job, settings: Settings, queue: Queue) -> None:
    if settings["hello_log"]:  # the queue, opened only for hooks that ask for it
        dead = sum(count for (_, state), count in queue.counts().items() if state is State.DEAD)
        append_line(settings["hello_log"], job, f"; {dead} in the dead letter queue")


# -- a Python handler: `queuectl enqueue --type hello.greet --payload '{"name": "Ann"}'`


def greet(name: str = "world") -> dict[str, str]:
    """The job's payload arrives as keyword arguments; the worker calls this in-process."""
    greeting = f"hello, {name}"
    print(greeting)  # captured as the attempt's output: `queuectl logs ID`
    return {"greeting": greeting}  # JSON-able: stored as the job's result


@hookimpl
def queuectl_register_handlers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    register("hello.greet", greet)


# -- a command: `queuectl hello NAME` --------------------------------------------------


@hookimpl
def queuectl_register_commands(cli: click.Group) -> None:
    from queuectl_hello.command import hello  # click code loads only in the CLI

    cli.add_command(hello)
