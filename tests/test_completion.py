"""Finding commands: "did you mean" for a mistyped one, shell completion scripts.

Through the real ``queuectl`` command; no backend is involved (nothing is opened).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from queuectl_core.testing.cli import QueuectlCli
from tests.e2e.conftest import install_plugin


def complete(cli: QueuectlCli, words: str, shell: str = "bash") -> list[str]:
    """What ``queuectl`` answers a completion script for the command line ``words``
    (the last word is the one being completed), as click's bash protocol says."""
    cli.env.update(
        _QUEUECTL_COMPLETE=f"{shell}_complete",
        COMP_WORDS=words,
        COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    )
    try:
        done = cli.run()
    finally:
        for name in ("_QUEUECTL_COMPLETE", "COMP_WORDS", "COMP_CWORD"):
            del cli.env[name]
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "suggested"),
    [
        (["stauts"], "'status'"),
        (["wokrer", "list"], "'worker'"),
        (["purg"], "'purge'"),
        (["ini"], "'init'"),
        (["worker", "strat"], "'start'"),
        (["dlq", "lsit"], "'list'"),
        (["config", "st", "max_retries", "3"], "'set' or 'list'"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_a_mistyped_command_gets_a_suggestion(
    queuectl_cli: QueuectlCli, args: list[str], suggested: str
) -> None:
    done = queuectl_cli.run(*args, check=False)
    assert done.returncode == 2 and done.stdout == ""
    mistyped = args[1] if args[0] in ("worker", "dlq", "config") else args[0]
    assert done.stderr.splitlines()[-1] == (
        f"Error: No such command {mistyped!r}. Did you mean {suggested}?"
    )
    assert not queuectl_cli.db.exists()


def test_nothing_close_gets_no_suggestion(queuectl_cli: QueuectlCli) -> None:
    done = queuectl_cli.run("xyzzy", check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "Error: No such command 'xyzzy'."


def test_plugin_commands_are_suggested_too(queuectl_cli: QueuectlCli, tmp_path: Path) -> None:
    install_plugin(
        tmp_path / "site",
        "frob",
        "import click\n"
        "from queuectl_core import hookimpl\n\n"
        "@click.command()\n"
        "def frobnicate():\n"
        "    click.echo('frobbed')\n\n"
        "@hookimpl\n"
        "def queuectl_register_commands(cli):\n"
        "    cli.add_command(frobnicate)\n",
    )
    queuectl_cli.env["PYTHONPATH"] = str(tmp_path / "site")
    assert queuectl_cli.run("frobnicate").stdout == "frobbed\n"
    done = queuectl_cli.run("frobnicat", check=False)
    assert done.stderr.splitlines()[-1] == (
        "Error: No such command 'frobnicat'. Did you mean 'frobnicate'?"
    )
    assert "plain,frobnicate" in complete(queuectl_cli, "queuectl frob")


def test_bash_completion_of_a_command_name(queuectl_cli: QueuectlCli) -> None:
    assert complete(queuectl_cli, "queuectl wo") == ["plain,worker"]
    assert complete(queuectl_cli, "queuectl worker st") == ["plain,start", "plain,stop"]
    assert complete(queuectl_cli, "queuectl list --state dead,p") == [
        "plain,dead,pending",
        "plain,dead,processing",
    ]
    assert not queuectl_cli.db.exists()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_for_each_shell(queuectl_cli: QueuectlCli, shell: str) -> None:
    script = queuectl_cli.run("completion", shell).stdout
    assert f"_QUEUECTL_COMPLETE={shell}_complete" in script
    assert "_queuectl_completion" in script


def test_completion_refuses_an_unknown_shell(queuectl_cli: QueuectlCli) -> None:
    done = queuectl_cli.run("completion", "tcsh", check=False)
    assert done.returncode == 2 and "'tcsh' is not one of 'bash', 'zsh', 'fish'" in done.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_completes_in_a_real_bash(queuectl_cli: QueuectlCli) -> None:
    script = queuectl_cli.run("completion", "bash").stdout
    program = Path(queuectl_cli.command()[0]).parent
    done = subprocess.run(
        [
            "bash",
            "-c",
            f"{script}\nCOMP_WORDS=(queuectl wo); COMP_CWORD=1\n_queuectl_completion queuectl\n"
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ],
        env={**queuectl_cli.env, "PATH": f"{program}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["worker"]
