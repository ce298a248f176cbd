"""The distributions as a user gets them: every wheel and sdist built from this tree,
each installed into a fresh venv by pip with our names taken only from the built wheels
(``--no-index``; third-party dependencies from a local wheelhouse), and used there.

A fresh venv per distribution proves that each one installs on its own, pulls in
``queuectl-core`` (and with it SQLite) under our names, and works: a job end to end on
SQLite and on a real Redis, and each plugin's own command or effect.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from threading import Thread

import pytest

from queuectl_core.testing.cli import wait_for
from tests.packaging.distributions import (
    DISTRIBUTIONS,
    ROOT,
    Distribution,
    build_all,
    wheelhouse,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every distribution's wheel and sdist, built from this tree."""
    out = tmp_path_factory.mktemp("dist")
    build_all(out)
    return out


@pytest.fixture(scope="session")
def wheels(built: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Where pip may look: the built wheels, and a wheelhouse of their third-party needs."""
    return [built, wheelhouse(tmp_path_factory.mktemp("wheelhouse"))]


class Venv:
    """A fresh virtual environment, and the queuectl command in it on a queue of its own."""

    def __init__(self, root: Path, find_links: list[Path]) -> None:
        self.root, self.find_links = root, find_links
        subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
        self.bin = root / "venv" / "bin"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("QUEUECTL_", "PIP_", "PYTHON", "VIRTUAL_ENV"))
        }
        self.env.update(
            PATH=f"{self.bin}{os.pathsep}{self.env.get('PATH', '')}",
            HOME=str(root / "home"),
            XDG_CONFIG_HOME=str(root / "config"),
            XDG_DATA_HOME=str(root / "data"),
            PIP_CONFIG_FILE=os.devnull,  # no index or find-links of the machine's
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            QUEUECTL_DB=str(root / "queue.db"),
        )

    def install(self, *requirements: str) -> None:
        links = [arg for path in self.find_links for arg in ("--find-links", str(path))]
        self.run("pip", "install", "--quiet", "--no-compile", "--no-index", *links, *requirements)

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bin / program), *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            pytest.fail(f"{program} {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def queuectl(self, *args: str, check: bool = True) -> str:
        return self.run("queuectl", *args, check=check).stdout

    def installed(self) -> set[str]:
        listing = self.run("pip", "list", "--format=freeze").stdout
        return {line.split("==")[0].lower() for line in listing.splitlines()}

    def runs_a_job(self, text: str) -> None:
        job = self.queuectl("enqueue", "--command", f"echo {text}").strip()
        self.queuectl("worker", "run", "--burst")
        assert self.queuectl("show", job, "--json").count('"completed"') >= 1
        assert self.queuectl("logs", job).strip() == text


@pytest.fixture
def venv(tmp_path: Path, wheels: list[Path]) -> Venv:
    return Venv(tmp_path, wheels)


def test_every_distribution_builds_a_wheel_and_an_sdist_of_its_own(built: Path) -> None:
    for dist in DISTRIBUTIONS:
        [wheel] = built.glob(f"{dist.file_stem}-*.whl")
        names = zipfile.ZipFile(wheel).namelist()
        assert f"{dist.package}/py.typed" in names, wheel.name
        assert any(name.endswith("licenses/LICENSE") for name in names), wheel.name
        assert {name.split("/")[0] for name in names} == {dist.package, dist.dist_info(names)}
        [sdist] = built.glob(f"{dist.file_stem}-*.tar.gz")
        with tarfile.open(sdist) as archive:
            members = [m.name.split("/", 1)[1] for m in archive if "/" in m.name]
        assert {"pyproject.toml", "LICENSE", "README.md", "PKG-INFO"} <= set(members)
        assert f"src/{dist.package}/py.typed" in members, sdist.name
        folders = {name.split("/")[0] for name in members if "/" in name}
        assert folders <= {"src", "tests"}, sdist.name  # nothing of the rest of the repository
        packages = {name.split("/")[1] for name in members if name.startswith("src/")}
        assert packages == {dist.package}, sdist.name


def test_queuectl_core_alone_runs_a_job_on_sqlite(venv: Venv) -> None:
    venv.install("queuectl-core")
    assert {"queuectl-core", "queuectl-sqlite"} <= venv.installed()
    assert "queuectl" not in venv.installed()  # never the index's unrelated project
    assert "queuectl-redis" not in venv.installed()
    venv.runs_a_job("hello-from-a-wheel")
    assert "sqlite" in venv.queuectl("plugins")
    assert venv.queuectl("--version") == "queuectl, version 0.1.0\n"  # read from queuectl-core


def test_installing_queuectl_changes_no_one_elses_pytest_runs(venv: Venv) -> None:
    venv.install("queuectl-core", "pytest")
    (venv.root / "test_mine.py").write_text("def test_mine():\n    pass\n")
    assert "queuectl_cli" not in venv.run("pytest", "--fixtures", "test_mine.py").stdout
    opted_in = venv.run("pytest", "-p", "queuectl_core.testing.pytest_plugin", "--fixtures")
    assert "queuectl_cli" in opted_in.stdout


@pytest.mark.parametrize("requirement", ["queuectl-core[redis]", "queuectl-redis"])
def test_the_redis_backend_runs_a_job_on_a_real_redis(
    venv: Venv, requirement: str, redis_options: dict[str, str]
) -> None:
    venv.install(requirement)
    assert {"queuectl-core", "queuectl-sqlite", "queuectl-redis"} <= venv.installed()
    del venv.env["QUEUECTL_DB"]  # it would name Redis's location, the URL
    venv.env.update(QUEUECTL_BACKEND="redis")
    venv.env.update(
        {f"QUEUECTL_REDIS_{key.upper()}": value for key, value in redis_options.items()}
    )
    venv.runs_a_job("hello-from-redis")
    assert "backend: redis" in venv.queuectl("status")


#: queuectl-redis alone needs a server: test_the_redis_backend_runs_a_job_on_a_real_redis.
ALONE = [d for d in DISTRIBUTIONS if d.kind == "plugin" and d.name != "queuectl-redis"]


@pytest.mark.parametrize("dist", ALONE, ids=str)
def test_each_plugin_installs_alone_and_works(venv: Venv, dist: Distribution) -> None:
    venv.install(dist.name)
    assert {dist.name, "queuectl-core", "queuectl-sqlite"} <= venv.installed()
    assert dist.entry_point is not None and dist.entry_point in venv.queuectl("plugins")
    PLUGIN_CHECKS[dist.name](venv)


def check_dashboard(venv: Venv) -> None:
    venv.queuectl("enqueue", "--id", "shown", "--command", "true")
    port = free_port()
    server = subprocess.Popen(
        [str(venv.bin / "queuectl"), "dashboard", "--port", str(port)],
        env=venv.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = wait_for(lambda: http_get(f"http://127.0.0.1:{port}/api/jobs"), timeout=20)
        assert body is not None and '"shown"' in body
    finally:
        server.terminate()
        server.wait(10)


def check_webhook(venv: Venv) -> None:
    with receiver() as (url, bodies):
        venv.queuectl("webhook", "test", "--url", url)
    [body] = bodies
    assert json.loads(body)["test"] is True


def check_callback(venv: Venv) -> None:
    marker = venv.root / "called"
    venv.queuectl("config", "set", "callback_command", f'echo "$QUEUECTL_JOB_ID" >> {marker}')
    venv.queuectl("config", "set", "callback_events", "succeeded")
    venv.queuectl("enqueue", "--id", "called-back", "--command", "true")
    venv.queuectl("worker", "run", "--burst")
    wait_for(lambda: marker.exists() and "called-back" in marker.read_text(), timeout=20)


def check_metrics(venv: Venv) -> None:
    venv.queuectl("enqueue", "--command", "true")
    assert 'queuectl_jobs{queue="default",state="pending"} 1.0' in venv.queuectl("metrics")


def check_hello(venv: Venv) -> None:
    venv.queuectl("config", "set", "hello_log", str(venv.root / "hello.log"))
    job = venv.queuectl("hello", "Ann").strip()
    venv.queuectl("worker", "run", "--burst")
    assert venv.queuectl("logs", job).strip() == "hello, Ann"
    assert (venv.root / "hello.log").read_text().startswith(job)


def check_memory(venv: Venv) -> None:
    status = json.loads(venv.queuectl("--backend", "memory", "status", "--json"))
    assert (status["backend"], status["total"]) == ("memory", 0)


PLUGIN_CHECKS = {
    "queuectl-sqlite": lambda venv: venv.runs_a_job("hello-from-sqlite"),
    "queuectl-dashboard": check_dashboard,
    "queuectl-webhook": check_webhook,
    "queuectl-callback": check_callback,
    "queuectl-metrics": check_metrics,
    "queuectl-hello": check_hello,
    "queuectl-memory": check_memory,
}


def test_every_plugin_has_a_check() -> None:
    assert {d.name for d in ALONE} == set(PLUGIN_CHECKS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return str(answer.read().decode())
    except OSError:
        time.sleep(0.1)
        return None


@contextmanager
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback HTTP server that records the bodies POSTed to it."""
    bodies: list[bytes] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_pip_install_dot_from_a_clone_installs_queuectl_with_sqlite(
    venv: Venv, wheels: list[Path]
) -> None:
    """The root project is the repository's own door: its dependencies are the folders
    beside it, so pip builds our distributions from the clone and needs no index for them."""
    clone = copy_of_the_clone(venv.root)
    links = [arg for path in wheels for arg in ("--find-links", str(path))]
    # hatchling, which builds them, comes from the wheelhouse too
    venv.run("pip", "install", "--quiet", "--no-compile", "--no-index", *links, str(clone))
    assert {"queuectl-core", "queuectl-sqlite"} <= venv.installed()
    venv.runs_a_job("hello-from-a-clone")


def test_the_readme_scripts_never_remove_what_the_other_installed(tmp_path: Path) -> None:
    """The quick start, the test script's install step (the same ``sync`` of
    scripts/_env.sh, with the dev tools), then the quick start again: nothing goes."""
    clone = copy_of_the_clone(tmp_path)
    env = outside_env()
    env["QUEUECTL_DB"] = str(tmp_path / "quickstart.db")

    def run(script: str) -> None:
        subprocess.run(["bash", "-c", script], cwd=clone, env=env, check=True, capture_output=True)

    def present() -> set[str]:
        names = ["queuectl", "ruff", "pytest", "mypy"]
        return {name for name in names if (clone / ".venv" / "bin" / name).exists()}

    run("bash scripts/quickstart.sh")
    assert present() == {"queuectl"}
    run("source scripts/_env.sh && sync --quiet --all-packages")  # what scripts/test.sh runs
    assert present() == {"queuectl", "ruff", "pytest", "mypy"}
    run("bash scripts/quickstart.sh")
    assert present() == {"queuectl", "ruff", "pytest", "mypy"}
    imports = "import queuectl_redis, queuectl_dashboard, queuectl_hello, queuectl_memory"
    run(f".venv/bin/python -c '{imports}'")


def pythons_here() -> list[str]:
    """Every CPython 3.10 or newer this machine has: Debian's, and pyenv's if any."""
    found = {"/usr/bin/python3"} if Path("/usr/bin/python3").exists() else set()
    found |= {str(p) for p in Path("/root/.pyenv/versions").glob("3.*/bin/python3")}
    found |= {p for minor in range(10, 15) if (p := shutil.which(f"python3.{minor}"))}
    found = {python for python in found if "/shims/" not in python}  # pyenv's are above
    usable = set()
    for python in found:
        check = "import sys; sys.exit(sys.version_info < (3, 10))"
        if subprocess.run([python, "-c", check], capture_output=True).returncode == 0:
            usable.add(os.path.realpath(python))
    return sorted(usable)


@pytest.mark.parametrize("python", pythons_here())
def test_the_quick_start_runs_a_job_on_every_python_here(tmp_path: Path, python: str) -> None:
    """From a copy of the clone, with only the system's programs on PATH (no uv)."""
    clone = copy_of_the_clone(tmp_path)
    env = outside_env()
    env.update(PYTHON=python, PATH="/usr/local/bin:/usr/bin:/bin")
    done = subprocess.run(
        ["bash", "scripts/quickstart.sh"], cwd=clone, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Hello from queuectl" in done.stdout
    version = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
    )
    wanted = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    assert version.stdout == wanted.stdout


def copy_of_the_clone(into: Path) -> Path:
    """This working tree as a fresh clone has it: no .venv, no .git, no databases."""
    clone = into / "clone"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.db*"),
    )
    return clone


def outside_env() -> dict[str, str]:
    """This process's environment without what would point the scripts elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("QUEUECTL_", "VIRTUAL_ENV"))}
