"""The fast entry-point scan finds what importlib.metadata finds."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from queuectl_core.entry_points import entry_points
from tests.e2e.conftest import install_plugin


def as_importlib_sees_them(group: str) -> list[tuple[str, str, str, str]]:
    return sorted(
        (ep.name, ep.value.split("[")[0].strip(), ep.dist.metadata["name"], ep.dist.version)  # type: ignore[union-attr]
        for ep in importlib.metadata.entry_points(group=group)
    )


def as_we_see_them(group: str) -> list[tuple[str, str, str, str | None]]:
    return sorted((ep.name, ep.value, *ep.distribution()) for ep in entry_points(group))


@pytest.mark.parametrize("group", ["queuectl", "console_scripts", "pytest11"])
def test_the_installed_entry_points_match_importlib_metadata(group: str) -> None:
    ours = as_we_see_them(group)
    assert ours == as_importlib_sees_them(group)
    if group == "queuectl":
        assert ("sqlite", "queuectl_sqlite.plugin", "queuectl-sqlite", "0.1.0") in ours


def test_a_distribution_on_pythonpath_is_found_and_loads(tmp_path: Path) -> None:
    install_plugin(tmp_path / "site", "extra", '"""A plugin."""\nVALUE = 42\n')
    code = (
        "from queuectl_core.entry_points import entry_points\n"
        "[ep] = [ep for ep in entry_points('queuectl') if ep.name == 'extra']\n"
        "print(ep.distribution(), ep.load().VALUE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "('queuectl-extra', '1.0') 42"


def test_the_first_distribution_of_a_name_on_the_path_wins(tmp_path: Path) -> None:
    for site, module in (("first", "queuectl_a"), ("second", "queuectl_b")):
        install_plugin(tmp_path / site, "dup", "")
        (tmp_path / site / "queuectl_dup-1.0.dist-info" / "entry_points.txt").write_text(
            f"# a comment\n[console_scripts]\nx = y\n\n[queuectl]\ndup = {module} [extra]\n"
        )
    sys.path[:0] = [str(tmp_path / "first"), str(tmp_path / "second")]
    try:
        [found] = [ep for ep in entry_points("queuectl") if ep.name == "dup"]
        assert found.value == "queuectl_a"
        assert as_we_see_them("queuectl") == as_importlib_sees_them("queuectl")
    finally:
        del sys.path[:2]
