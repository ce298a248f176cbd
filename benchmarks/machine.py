"""The machine and the software a run measured: CPU, kernel, Python, every version.

Also how busy the machine is: a benchmark on a shared machine waits for the CPUs to
go quiet before each case (``wait_for_quiet``) and records how idle they were.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import REPO

PEER_PACKAGES = ("huey", "rq", "redis", "matplotlib")
QUIET_IDLE = 0.85  # fraction of CPU time idle that counts as quiet
QUIET_SAMPLE = 0.25  # seconds per idle reading
QUIET_WAIT = 30.0  # longest wait for quiet before a case runs anyway


def _first_line(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(list(command), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip('"')
    except OSError:
        pass
    return platform.system()


def _git_commit() -> str:
    commit = _first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{commit} (with uncommitted changes)" if dirty else commit


def peer_versions(peers_python: Path) -> dict[str, str]:
    script = (
        "import importlib.metadata as m, json, sys\n"
        f"names = {list(PEER_PACKAGES)!r}\n"
        "print(json.dumps({n: m.version(n) for n in names}))"
    )
    try:
        result = subprocess.run(
            [str(peers_python), "-c", script], capture_output=True, text=True, timeout=60
        )
        versions: dict[str, str] = json.loads(result.stdout)
        return versions
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {name: "unavailable" for name in PEER_PACKAGES}


def describe(peers_python: Path) -> dict[str, Any]:
    """Everything the report says about the machine and the versions measured."""
    from importlib.metadata import version

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "redis_server": _first_line(["redis-server", "--version"]),
        "tsp": _first_line(["tsp", "-V"]),
        "queuectl": f"{version('queuectl-core')}, commit {_git_commit()}",
        "redis_py_main": version("redis"),
        "peers": peer_versions(peers_python),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _cpu_times() -> tuple[int, int]:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return idle, sum(fields)


def idle_fraction(seconds: float = QUIET_SAMPLE) -> float:
    """The share of CPU time the whole machine spent idle over ``seconds``."""
    idle_before, total_before = _cpu_times()
    time.sleep(seconds)
    idle_after, total_after = _cpu_times()
    return (idle_after - idle_before) / max(1, total_after - total_before)


def wait_for_quiet(limit: float = QUIET_WAIT) -> float:
    """Wait (at most ``limit`` seconds) for the CPUs to be mostly idle; returns the idle
    fraction last seen."""
    deadline = time.monotonic() + limit
    while True:
        idle = idle_fraction()
        if idle >= QUIET_IDLE or time.monotonic() >= deadline:
            return idle
