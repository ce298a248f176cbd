"""The benchmark suite's queuectl side at a tiny N, so that its code cannot rot.

Not a performance test: each workload of ``benchmarks/queuectl_runner.py`` and the
physical limits run for real (real workers, a real SQLite file, the session's real
redis-server) and must print a result with the figures the report reads; the report
must render a table from results. The peers' environment is not needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import plan, report

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "bulk_api": ["--n", "300"],
    "bulk_cli": ["--n", "300"],
    "shell": ["--n", "30", "--workers", "2"],
    "noop": ["--n", "200", "--workers", "2"],
    "features": ["--n", "160", "--workers", "2"],
    "pickup": ["--n", "5", "--interval", "0.01"],
    # the window must fit in what is left once the worker has started: it is fast
    "scale": ["--sizes", "5000,10000", "--window", "500"],
    "startup": ["--n", "2"],
}
FIGURES = {
    "bulk_api": {"jobs_per_s"},
    "bulk_cli": {"jobs_per_s"},
    "shell": {"jobs_per_s", "jobs_done", "worker_rss_mb"},
    "noop": {"jobs_per_s", "jobs_done", "worker_rss_mb"},
    "features": {
        "noop_plain_jobs_per_s",
        "noop_busy_jobs_per_s",
        "noop_ratio",
        "shell_plain_jobs_per_s",
        "shell_busy_jobs_per_s",
        "shell_ratio",
    },
    "pickup": {"p50_ms", "p99_ms", "claim_p50_ms", "claim_p99_ms"},
    "scale": {
        "claims_per_s@5000",
        "claims_per_s@10000",
        "status_ms@10000",
        "count_ms@10000",
        "claim_ratio",
    },
    "startup": {"status_ms"},
}


def run_runner(module: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def check(result: dict[str, Any], workload: str) -> None:
    assert result["workload"] == workload
    metrics = result["metrics"]
    assert FIGURES[workload] <= set(metrics)
    assert all(value > 0 for value in metrics.values()), metrics


@pytest.mark.parametrize("workload", sorted(TINY))
def test_queuectl_runner_on_sqlite(workload: str, tmp_path: Path) -> None:
    args = ["--system", "queuectl-sqlite", "--workload", workload, "--scratch", str(tmp_path)]
    result = run_runner("benchmarks.queuectl_runner", *args, *TINY[workload])
    check(result, workload)
    if workload in ("shell", "noop"):
        assert result["metrics"]["jobs_done"] == int(TINY[workload][1])


def test_queuectl_runner_on_redis(tmp_path: Path, redis_options: dict[str, str]) -> None:
    args = ["--system", "queuectl-redis", "--workload", "noop", "--scratch", str(tmp_path)]
    args += ["--redis-url", redis_options["url"], *TINY["noop"]]
    prefix = {"QUEUECTL_REDIS_PREFIX": redis_options["prefix"]}
    check(run_runner("benchmarks.queuectl_runner", *args, env=prefix), "noop")


def test_a_slow_run_stops_at_the_budget(tmp_path: Path) -> None:
    args = ["--system", "queuectl-sqlite", "--workload", "shell", "--scratch", str(tmp_path)]
    result = run_runner("benchmarks.queuectl_runner", *args, "--n", "5000", "--budget", "0.3")
    assert 0 < result["metrics"]["jobs_done"] < 5000


@pytest.mark.parametrize(
    ("workload", "figure"),
    [("spawn", "per_s"), ("sqlite_commit", "full_per_s"), ("python_startup", "ms")],
)
def test_physical_limits(workload: str, figure: str, tmp_path: Path) -> None:
    args = ["--system", "limits", "--workload", workload, "--scratch", str(tmp_path)]
    result = run_runner("benchmarks.limits", *args, "--workers", "2", "--budget", "0.4")
    assert result["metrics"][figure] > 0


def test_the_report_shows_figures_reasons_and_targets() -> None:
    sizes = plan.SCALE_SIZES[True]
    entries = [
        entry("queuectl-sqlite", "noop", 2, {"jobs_per_s": 9000.0, "worker_rss_mb": 20.0}),
        entry("queuectl-redis", "noop", 2, {"jobs_per_s": 4000.0, "worker_rss_mb": 40.0}),
        entry("huey-redis", "noop", 2, {"jobs_per_s": 2000.0}),
        entry("limits", "sqlite_commit", 0, {"normal_per_s": 30000.0}),
        {**entry("rq-simple", "noop", 2, {}), "errors": ["timed out after 900s"]},
    ]
    results = {
        "suite": {
            "quick": True,
            "repeat": 1,
            "only": [],
            "started": "now",
            "duration_s": 1,
            "n": {item.name: item.n(True) for item in plan.WORKLOADS},
            "scale_sizes": list(sizes),
            "scale_window": 500,
            "budget_s": 4.0,
        },
        "machine": {
            "cpu": "cpu",
            "cores": 2,
            "memory_gib": 1,
            "os": "os",
            "kernel": "k",
            "python": "3",
            "sqlite": "3",
            "redis_server": "r",
            "tsp": "t",
            "queuectl": "q",
            "redis_py_main": "r",
            "peers": {},
            "load_average_at_start": [0.0],
        },
        "results": entries,
        "cannot": {item.name: dict(item.cannot) for item in plan.SYSTEMS if item.cannot},
    }
    page = report.render(results)
    [row] = [line for line in page.splitlines() if line.startswith("| no-op Python, 2 workers")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1:3] == ["9,000", "4,000"]
    assert cells[4] == "2,000"
    assert cells[6].startswith("error [") and cells[7].startswith("n/a [")
    assert cells[10] == "SQLite 30%"  # of the commit rate; no Redis limit in these results
    assert cells[11] == "SQLite ≥8,000 ✓<br>Redis ≥5,000 ✗"
    assert "task-spooler runs commands only" in page
    assert "timed out after 900s" in page


def entry(system: str, workload: str, workers: int, metrics: dict[str, float]) -> dict[str, Any]:
    return {
        "system": system,
        "workload": workload,
        "workers": workers,
        "n": 1000,
        "metrics": metrics,
        "errors": [],
        "runs": [{"metrics": metrics, "idle_before": 0.9}],
    }
