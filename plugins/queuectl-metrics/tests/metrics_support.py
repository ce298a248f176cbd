"""Helpers for the metrics plugin's tests (a unique module name: test dirs share sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

QUEUECTL = str(Path(sys.executable).with_name("queuectl"))

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Runner:
    """Runs the real ``queuectl`` command in an isolated environment."""

    def __init__(self, root: Path, backend_env: Mapping[str, str]) -> None:
        self.root = root
        inherited = os.environ.items()
        self.env = {key: value for key, value in inherited if not key.startswith("QUEUECTL_")}
        for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            self.env[name] = str(root / name.lower())
        self.env.update(backend_env)

    def __call__(
        self, *args: str, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [QUEUECTL, *args],
            env=self.env,
            cwd=self.root,
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert done.returncode == 0, f"queuectl {' '.join(args)}: {done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [QUEUECTL, *args],
            env=self.env,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def metrics(self) -> Samples:
        """``queuectl metrics``, parsed by prometheus_client's parser."""
        return parse(self("metrics").stdout)


def parse(text: str) -> Samples:
    """Every sample of a text exposition by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The value of one sample; fails naming what there is when it is missing."""
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        known = sorted({sample for sample, _ in samples})
        raise AssertionError(f"no sample {name}{labels}; names: {known}")
    return samples[key]


def fetch(url: str) -> tuple[int, str, str]:
    """GET ``url``: (status, Content-Type, body), for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.headers["Content-Type"], reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` every 50 ms; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def pid_alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
