"""A plugin that raises in every lifecycle hook changes no job's outcome.

The plugin is a real distribution on ``PYTHONPATH`` (see ``install_plugin``), so the
CLI and the detached workers discover it the way they discover any installed plugin.
Every hook records that it ran, then raises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from queuectl_core import hookspecs
from tests.e2e.conftest import Cli, install_plugin

pytestmark = pytest.mark.e2e

LIFECYCLE_HOOKS = sorted(
    name for name in dir(hookspecs) if name.startswith(("queuectl_job_", "queuectl_worker_"))
)

PLUGIN = '''
"""Records each lifecycle hook call in $BROKEN_LOG, then raises."""
import os
from queuectl_core.plugins import hookimpl


def _record_and_raise(event, job_id=""):
    with open(os.environ["BROKEN_LOG"], "a") as log:
        log.write(f"{event} {job_id}\\n")
    raise RuntimeError(f"broken on purpose in {event}")

'''
HOOK = """
@hookimpl
def {name}({args}):
    _record_and_raise("{name}", {job_id})
"""


def broken_plugin_source() -> str:
    """The module: every lifecycle hook, each recording its call and raising."""
    source = [PLUGIN]
    for name in LIFECYCLE_HOOKS:
        code = getattr(hookspecs, name).__code__
        args = code.co_varnames[: code.co_argcount]
        job_id = "job.id" if "job" in args else "worker.id"
        source.append(HOOK.format(name=name, args=", ".join(args), job_id=job_id))
    return "".join(source)


@pytest.fixture
def broken(cli: Cli, tmp_path: Path) -> Path:
    """Install the broken plugin for ``cli``; returns the file its hooks record to."""
    install_plugin(tmp_path / "site", "broken", broken_plugin_source())
    cli.env["PYTHONPATH"] = str(tmp_path / "site")
    cli.env["BROKEN_LOG"] = str(tmp_path / "hooks.log")
    return tmp_path / "hooks.log"


def test_the_broken_plugin_is_discovered_through_its_entry_point(cli: Cli, broken: Path) -> None:
    listed = {plugin["name"]: plugin for plugin in cli.json("plugins")}
    assert listed["broken"]["distribution"] == "queuectl-broken"
    assert sorted(listed["broken"]["hooks"]) == LIFECYCLE_HOOKS


@pytest.mark.covers_hook(*LIFECYCLE_HOOKS)
def test_a_plugin_raising_in_every_lifecycle_hook_changes_no_outcome(
    cli: Cli, broken: Path, tmp_path: Path
) -> None:
    cli.config(backoff_base=1)  # retry after 1 s
    marker = tmp_path / "failed-once"
    enqueued = cli.run("enqueue", '{"id": "ok", "command": "echo fine"}')
    assert enqueued.stdout.strip() == "ok"  # the CLI carries on and exits 0
    assert "plugin broken failed in queuectl_job_enqueued: RuntimeError: broken on purpose" in (
        enqueued.stderr
    )
    assert "Traceback" not in enqueued.stderr
    cli.enqueue(
        f'{{"id": "flaky", "command": "test -e {marker} || {{ touch {marker}; exit 3; }}"}}'
    )
    cli.enqueue('{"id": "doomed", "command": "exit 4", "max_retries": 0}')
    cli.enqueue('{"id": "later", "command": "true", "delay": "1h"}')
    cancelled = cli.run("cancel", "later")
    assert "plugin broken failed in queuectl_job_cancelled" in cancelled.stderr

    log_file = tmp_path / "workers.log"
    cli.run("worker", "start", "--count", "1", "--log-file", str(log_file))
    ok = cli.wait_state("ok", "completed")
    flaky = cli.wait_state("flaky", "completed")
    doomed = cli.wait_state("doomed", "dead")
    cli.run("worker", "stop", "--timeout", "20")

    assert (ok["attempts"], flaky["attempts"], doomed["attempts"]) == (1, 2, 1)
    assert cli.run("logs", "ok").stdout == "fine\n"
    assert cli.job("later")["state"] == "cancelled"
    assert [attempt["exit_code"] for attempt in flaky["history"]] == [3, 0]
    assert cli.workers() == []  # the worker stopped cleanly despite worker_stopped raising

    calls = broken.read_text().splitlines()
    events = {line.split()[0] for line in calls}
    assert events == set(LIFECYCLE_HOOKS), "every lifecycle hook was called (and raised)"
    assert calls.count("queuectl_job_started flaky") == 2
    assert "queuectl_job_failed flaky" in calls and "queuectl_job_dead doomed" in calls
    logged = log_file.read_text()
    for name in LIFECYCLE_HOOKS:
        if name not in ("queuectl_job_enqueued", "queuectl_job_cancelled"):
            assert f"plugin broken failed in {name}: RuntimeError" in logged, name
    assert "Traceback" not in logged
