"""End-to-end harness: the real ``queuectl`` command, real detached workers.

Every test runs once per backend: ``sqlite`` (a database file of its own) and ``redis``
(a fresh key namespace on the session's own redis-server, from the queuectl_redis
pytest plugin). ``cli`` is the shipped ``queuectl_cli`` fixture on that backend: its
own HOME and XDG directories, and every worker it started stopped (then killed, if
need be) at teardown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from queuectl_core.testing.cli import QueuectlCli, pid_alive, wait_for

__all__ = ["Cli", "install_plugin", "pid_alive", "wait_for"]  # what the tests import

#: What e2e tests call the harness; every helper they use is the shipped one's.
Cli = QueuectlCli


@pytest.fixture
def cli(backend_cli: QueuectlCli) -> Cli:
    """``backend_cli`` (from queuectl_redis's pytest plugin): on SQLite, then on Redis."""
    return backend_cli


def install_plugin(site: Path, name: str, module_source: str, attribute: str = "") -> None:
    """Install a plugin the way pip would, minus the copying: module ``queuectl_<name>``
    and a ``.dist-info`` whose entry point puts it in the ``queuectl`` group, in
    ``site``. Add ``site`` to ``PYTHONPATH`` and every process discovers it. The entry
    point names the module, or with ``attribute`` an object in it (``module:attribute``)."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"queuectl_{name}.py").write_text(module_source)
    dist_info = site / f"queuectl_{name}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: queuectl-{name}\nVersion: 1.0\n"
    )
    target = f"queuectl_{name}:{attribute}" if attribute else f"queuectl_{name}"
    (dist_info / "entry_points.txt").write_text(f"[queuectl]\n{name} = {target}\n")
