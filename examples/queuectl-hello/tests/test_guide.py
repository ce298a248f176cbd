"""The plugin guide in docs/plugins.md stays true to the example packages.

Every code block from "## Writing a plugin" to the end is either a directory tree,
which must match the example's files, or a run of lines from a file of an example
(compared after removing their common indentation). ``try-it.sh``, which the guide
shows, runs here too. A copy of queuectl-hello does not need this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HELLO = Path(__file__).resolve().parent.parent
EXAMPLES = HELLO.parent
GUIDE = EXAMPLES.parent / "docs" / "plugins.md"
FIRST_HEADING = "## Writing a plugin\n"

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```$", re.M | re.S)
NOT_SOURCE = ("__pycache__", ".egg-info")


def guide_part(text: str) -> str:
    return text[text.index(FIRST_HEADING) :]


def code_blocks(text: str) -> list[str]:
    return [match.group(1) for match in FENCE.finditer(text)]


def example_files() -> dict[Path, list[str]]:
    """Every source file of the examples, as lines (hidden and built files aside)."""
    files = {}
    for path in sorted(EXAMPLES.rglob("*")):
        parts = path.relative_to(EXAMPLES).parts
        if path.is_file() and not any(p.startswith(".") or p.endswith(NOT_SOURCE) for p in parts):
            files[path] = path.read_text().splitlines(keepends=True)
    return files


def tree(directory: Path) -> str:
    """``directory`` drawn as the ``tree`` command does, source files only."""

    def entries(folder: Path, indent: str) -> list[str]:
        children = [
            child
            for child in sorted(folder.iterdir())
            if not child.name.startswith(".") and not child.name.endswith(NOT_SOURCE)
        ]
        lines = []
        for number, child in enumerate(children, 1):
            last = number == len(children)
            suffix = "/" if child.is_dir() else ""
            lines.append(f"{indent}{'└── ' if last else '├── '}{child.name}{suffix}")
            if child.is_dir():
                lines += entries(child, indent + ("    " if last else "│   "))
        return lines

    return "\n".join([f"{directory.name}/", *entries(directory, "")]) + "\n"


def source_of(block: str, files: dict[Path, list[str]]) -> Path | None:
    """The example file holding ``block`` as a run of whole lines, or None."""
    wanted = textwrap.dedent(block)
    count = len(block.splitlines())
    for path, lines in files.items():
        for start in range(len(lines) - count + 1):
            if textwrap.dedent("".join(lines[start : start + count])) == wanted:
                return path
    return None


def drifted(guide: str) -> list[str]:
    """The guide's code blocks that are no tree of an example and no excerpt of one."""
    files = example_files()
    stale = []
    for block in code_blocks(guide_part(guide)):
        root = block.split("\n", 1)[0]
        if root.endswith("/") and (EXAMPLES / root).is_dir():
            if block != tree(EXAMPLES / root):
                stale.append(block)
        elif source_of(block, files) is None:
            stale.append(block)
    return stale


def test_every_code_block_of_the_guide_comes_from_an_example() -> None:
    stale = drifted(GUIDE.read_text())
    assert stale == [], "blocks of docs/plugins.md found in no example file:\n\n" + "\n\n".join(
        stale
    )


def test_the_guide_quotes_each_part_of_both_examples() -> None:
    files = example_files()
    blocks = code_blocks(guide_part(GUIDE.read_text()))
    quoted = {source_of(block, files) for block in blocks}
    expected = {
        HELLO / "pyproject.toml",
        HELLO / "src/queuectl_hello/plugin.py",
        HELLO / "src/queuectl_hello/command.py",
        HELLO / "README.md",
        HELLO / "try-it.sh",
        HELLO / "tests/test_hello_cli.py",
        HELLO / "tests/test_hello_units.py",
        EXAMPLES / "queuectl-memory/pyproject.toml",
        EXAMPLES / "queuectl-memory/src/queuectl_memory/plugin.py",
        EXAMPLES / "queuectl-memory/src/queuectl_memory/storage.py",
        EXAMPLES / "queuectl-memory/tests/test_memory_contract.py",
    }
    assert expected <= quoted
    assert tree(HELLO) in blocks


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('hello = "queuectl_hello.plugin"', 'hi = "queuectl_hello.plugin"'),  # an excerpt
        ("│       ├── command.py\n", ""),  # the tree
    ],
)
def test_the_check_catches_a_changed_block(old: str, new: str) -> None:
    guide = guide_part(GUIDE.read_text())
    assert old in guide
    assert drifted(guide) == []
    assert len(drifted(guide.replace(old, new, 1))) == 1


def test_try_it_runs_a_greeting_and_a_failing_job(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUEUECTL_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        TMPDIR=str(tmp_path),  # where mktemp -d makes the throwaway queue
        **{
            f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("CONFIG", "DATA", "STATE")
        },
    )

    done = subprocess.run(
        ["sh", str(HELLO / "try-it.sh")], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    [queue_dir] = tmp_path.glob("tmp.*")
    config_set, enqueue, logs, greeted, doomed = done.stdout.splitlines()
    assert (config_set, enqueue, logs) == (str(queue_dir / "hello.log"), "doomed", "hello, Ann")
    assert re.fullmatch(r"[0-9a-f]+ completed after 1 attempt\(s\)", greeted)
    assert doomed == "doomed dead after 1 attempt(s); 1 in the dead letter queue"
