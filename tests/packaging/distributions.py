"""The repository's distributions, read from the workspace's own pyproject files, and
building them: so a new plugin is built, installed and checked without a list to update."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
#: What the wheelhouse holds besides our distributions' needs: the test's own tools.
EXTRA_WHEELS = ["pytest", "hatchling"]


@dataclass(frozen=True)
class Distribution:
    """One folder of the workspace: its distribution name, import package and kind."""

    folder: Path
    name: str
    package: str
    entry_point: str | None
    requires: tuple[str, ...]

    @property
    def kind(self) -> str:
        return "core" if self.name == "queuectl-core" else "plugin"

    @property
    def file_stem(self) -> str:
        return self.name.replace("-", "_")

    def dist_info(self, names: list[str]) -> str:
        [folder] = {name.split("/")[0] for name in names if ".dist-info/" in name}
        return folder

    def __str__(self) -> str:
        return self.name


def _read(folder: Path) -> Distribution:
    data = tomllib.loads((folder / "pyproject.toml").read_text())
    project = data["project"]
    [package] = data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    entry_points = project.get("entry-points", {}).get("queuectl", {})
    return Distribution(
        folder=folder,
        name=project["name"],
        package=package.rsplit("/", 1)[-1],
        entry_point=next(iter(entry_points), None),
        requires=tuple(project.get("dependencies", [])),
    )


def _members() -> list[Path]:
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    return [ROOT / member for member in workspace["members"]]


DISTRIBUTIONS = [_read(folder) for folder in _members()]
OURS = {dist.name for dist in DISTRIBUTIONS}


def build_all(out: Path) -> None:
    """A wheel and an sdist of every distribution into ``out``, built by the hatchling of
    this environment (no build isolation: nothing is fetched)."""
    for dist in DISTRIBUTIONS:
        subprocess.run(
            [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
            cwd=dist.folder,
            check=True,
            capture_output=True,
        )


def third_party_requirements() -> list[str]:
    """What our distributions need that is not ours, and the test's own tools."""
    needs = {
        requirement
        for dist in DISTRIBUTIONS
        for requirement in dist.requires
        if _requirement_name(requirement) not in OURS
    }
    return sorted(needs) + EXTRA_WHEELS


def wheelhouse(out: Path) -> Path:
    """Wheels of every third-party requirement (and theirs), fetched once by pip from the
    machine's package index: the only place the test's installs may take them from."""
    tools = out / ".pip"
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
    pip = str(tools / "bin" / "pip")
    subprocess.run(
        [
            pip,
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--dest",
            str(out),
            *third_party_requirements(),
        ],
        check=True,
        capture_output=True,
    )
    return out


def _requirement_name(requirement: str) -> str:
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower()
