"""``queuectl progress`` and ``queuectl heartbeat --extend`` from inside real jobs run
by detached workers, on SQLite and Redis: what they report shows in show, list and
why; an attempt's token stops working when the attempt ends; an extension keeps a
job past its timeout, within max_timeout_extension."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def jobs_cli(cli: Cli) -> Cli:
    """``cli``, with a config file that names its backend: a job's environment never
    carries the worker's location variables, so ``queuectl`` inside a job finds the
    backend the way a person's shell does, through the config file."""
    from queuectl_core.config import resolve

    location = resolve(environ=cli.env)
    path = Path(cli.env["XDG_CONFIG_HOME"]) / "queuectl" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"backend = {json.dumps(location.backend)}", f"[{location.backend}]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in location.options.items()]
    path.write_text("\n".join(lines) + "\n")
    cli.config(poll_interval="0.05")
    return cli


def queuectl(cli: Cli, *args: str) -> str:
    """``queuectl ARGS`` as a job's shell command line."""
    return shlex.join(cli.command(*args))


def as_job(cli: Cli, job_id: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``queuectl ARGS`` run as if from inside job ``job_id`` holding ``token``."""
    env = {**cli.env, "QUEUECTL_JOB_ID": job_id, "QUEUECTL_JOB_TOKEN": token}
    return subprocess.run(
        cli.command(*args), env=env, cwd=cli.root, capture_output=True, text=True, timeout=60
    )


def test_progress_shows_everywhere_and_a_stale_token_cannot_write(
    jobs_cli: Cli, tmp_path: Path
) -> None:
    cli = jobs_cli
    started, release, token_file = tmp_path / "started", tmp_path / "release", tmp_path / "token"
    command = (
        f'printf %s "$QUEUECTL_JOB_TOKEN" > {token_file} && '
        f"{queuectl(cli, 'progress', '40', '--message', 'half')} && touch {started}; "
        f"until [ -e {release} ]; do sleep 0.05; done"
    )
    cli.enqueue("--id", "p", "--command", command)
    cli.enqueue("--id", "quiet", "--command", "true", "--queue", "nobody")
    cli.run("worker", "start", "--count", "1", "--queue", "default")
    wait_for(started.exists, 30, "the job to report its progress")

    view = cli.job("p")
    assert view["state"] == "processing"
    assert view["progress"]["percent"] == 40 and view["progress"]["message"] == "half"
    assert re.search(r"^progress: +40%: half \(at ", cli.run("show", "p").stdout, re.M)
    table = cli.run("list").stdout.splitlines()
    assert table[0].split()[:6] == ["ID", "STATE", "QUEUE", "PRIORITY", "ATTEMPTS", "PROGRESS"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["p"][5] == "40%" and rows["quiet"][5] == "-"
    listed = {job["id"]: job["progress"] for job in cli.json("list")}
    assert listed["quiet"] is None and listed["p"]["percent"] == 40
    why = cli.run("why", "p").stdout.strip()
    assert why.startswith("running on host ") and why.endswith(", 40%: half")
    assert cli.json("why", "p")["progress"]["message"] == "half"

    token = token_file.read_text()
    assert len(token) >= 16
    changed = as_job(cli, "p", token, "progress", "60", "-m", "more")  # the current attempt
    assert changed.returncode == 0, changed.stderr
    assert cli.job("p")["progress"]["percent"] == 60

    bad = as_job(cli, "p", token, "progress", "140")  # refused before the backend is asked
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "0 to 100" in bad.stderr
    two_lines = as_job(cli, "p", token, "progress", "50", "--message", "a\nb")
    assert two_lines.returncode == 1 and "one line" in two_lines.stderr
    assert cli.job("p")["progress"]["percent"] == 60

    release.touch()
    cli.wait_state("p", "completed")
    assert cli.job("p")["progress"]["percent"] == 60  # kept after the attempt
    stale = as_job(cli, "p", token, "progress", "70")
    assert stale.returncode == 1 and stale.stderr.count("\n") == 1
    assert "no longer holds the job" in stale.stderr and "Traceback" not in stale.stderr
    assert as_job(cli, "p", token, "heartbeat").returncode == 1
    assert cli.job("p")["progress"]["percent"] == 60

    outside = subprocess.run(
        cli.command("progress", "10"), env=cli.env, capture_output=True, text=True, timeout=60
    )
    assert outside.returncode == 1 and "not inside a running job" in outside.stderr

    # the token is the attempt's own: never shown nor logged
    shown = cli.run("show", "p", "--json").stdout + cli.run("list", "--json").stdout
    logs = Path(cli.env["XDG_STATE_HOME"], "queuectl", "workers.log")
    assert token not in shown and token not in logs.read_text()


def test_an_extension_keeps_a_job_past_its_timeout(jobs_cli: Cli) -> None:
    cli = jobs_cli
    extend = f"{queuectl(cli, 'heartbeat', '--extend', '4s')} && sleep 4"
    cli.enqueue("--id", "extended", "--command", extend, "--timeout", "2", "--max-retries", "0")
    cli.enqueue("--id", "plain", "--command", "sleep 4", "--timeout", "2", "--max-retries", "0")
    cli.run("worker", "start", "--count", "2")
    assert cli.wait_state("extended", "completed", "dead")["state"] == "completed"
    plain = cli.wait_state("plain", "completed", "dead")
    assert plain["state"] == "dead" and plain["last_error"].startswith("timed out after 2s")


def test_an_extension_beyond_the_maximum_is_capped_then_refused(
    jobs_cli: Cli, tmp_path: Path
) -> None:
    cli = jobs_cli
    cli.config(max_timeout_extension="2s")
    out = tmp_path / "out"
    first = queuectl(cli, "heartbeat", "--extend", "10s")
    again = queuectl(cli, "heartbeat", "--extend", "1s")
    command = f"{first} 2>> {out}; echo $? >> {out}; {again} 2>> {out}; echo $? >> {out}"
    cli.enqueue("--id", "greedy", "--command", command, "--timeout", "30")
    cli.run("worker", "start", "--count", "1")
    cli.wait_state("greedy", "completed")
    lines = out.read_text().splitlines()
    assert lines[0].startswith("extended by 2s only: max_timeout_extension allows 2s")
    assert lines[1] == "0"
    assert lines[2].startswith("Error: job greedy: its timeout is extended by 2s already")
    assert lines[3] == "1"
    assert os.path.getsize(out) < 1000
