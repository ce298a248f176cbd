"""The orchestrator: every case K times, medians, then the table, the chart and the JSON.

Run it through ``bash benchmarks/run.sh`` (which installs what it needs first)::

    bash benchmarks/run.sh [--quick] [--repeat K] [--only NAME...] [--out DIR]

One private ``redis-server`` (no persistence, a free port) serves every Redis case and
is flushed before each; every case runs in a fresh scratch directory, as its own
process, after the machine has gone quiet (up to 30 s). Repeats are interleaved
(repeat 1 of every case, then repeat 2, ...) so that a noisy minute does not fall on
one system only. A full run writes ``docs/benchmarks/``; ``--quick`` and ``--only``
runs write ``benchmarks/.results/`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import machine, plan, report
from benchmarks.harness import REPO
from benchmarks.plan import Case

PEERS_PYTHON = REPO / "benchmarks" / ".peers" / "bin" / "python"
FULL_OUT = REPO / "docs" / "benchmarks"
PARTIAL_OUT = REPO / "benchmarks" / ".results"
MARKER = "QUEUECTL_BENCH_RUN"  # in every runner's environment: finds what a case left behind
TIMEOUT = 900.0  # seconds one case may take
SCALE_TIMEOUT = 2400.0
STOP_GRACE = 30.0  # seconds a timed-out runner has to stop its workers
LOG_TAIL = 8


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.sh", description="queuectl and its peers, side by side."
    )
    parser.add_argument("--quick", action="store_true", help="small N and 1 repeat (~2 min)")
    parser.add_argument("--repeat", type=int, help="runs of each case (default 3, quick 1)")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="NAME", help="systems and/or workloads to run"
    )
    parser.add_argument(
        "--out", type=Path, help="where to write README.md, results.json, chart.png"
    )
    parser.add_argument("--list", action="store_true", help="print the cases and exit")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        planned = plan.cases(args.quick, args.only)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    repeat = args.repeat or (1 if args.quick else 3)
    out: Path = args.out or (PARTIAL_OUT if args.quick or args.only else FULL_OUT)
    if args.list:
        for case in planned:
            print(f"{case.key:<32} n={case.n}")
        return 0
    missing = missing_prerequisites(planned)
    if missing:
        print(f"error: {missing}; run `bash benchmarks/run.sh`, which installs it", file=sys.stderr)
        return 1
    started = time.monotonic()
    suite = {
        "quick": args.quick,
        "repeat": repeat,
        "only": args.only,
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "n": {item.name: item.n(args.quick) for item in plan.WORKLOADS},
        "scale_sizes": list(plan.SCALE_SIZES[args.quick]),
        "scale_window": plan.SCALE_WINDOW[args.quick],
        "pickup_interval_s": plan.PICKUP_INTERVAL,
        "budget_s": plan.BUDGET[args.quick],
    }
    described = machine.describe(PEERS_PYTHON)
    samples = run_all(planned, repeat, args.quick)
    described["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    suite["duration_s"] = round(time.monotonic() - started)
    results = {
        "suite": suite,
        "machine": described,
        "results": aggregate(planned, samples),
        "cannot": {item.name: dict(item.cannot) for item in plan.SYSTEMS if item.cannot},
    }
    write_outputs(out, results)
    print(f"\nwrote {out}/README.md, results.json and chart.png in {suite['duration_s']} s")
    return 0


def missing_prerequisites(planned: Sequence[Case]) -> str | None:
    if any(case.system.environment == "peers" for case in planned) and not PEERS_PYTHON.exists():
        return f"the peers' environment ({PEERS_PYTHON.parent.parent}) is missing"
    if not shutil.which("redis-server"):
        return "redis-server is not installed"
    if any(case.system.name == "tsp" for case in planned) and not shutil.which("tsp"):
        return "tsp (Debian package task-spooler) is not installed"
    return None


def run_all(planned: Sequence[Case], repeat: int, quick: bool) -> dict[str, list[dict[str, Any]]]:
    """Every case ``repeat`` times, interleaved; samples by case key."""
    from queuectl_redis.testing.servers import RedisServer

    samples: dict[str, list[dict[str, Any]]] = {case.key: [] for case in planned}
    marker = secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="qbench-") as tmp:
        root = Path(tmp)
        with RedisServer(root / "redis", appendonly=False) as server:
            if server.port == 6379:
                raise RuntimeError("refusing to use the Redis server on port 6379")
            with contextlib.closing(server.client()) as client:
                for run in range(1, repeat + 1):
                    for index, case in enumerate(planned, 1):
                        client.flushall()
                        scratch = root / f"run{run}-case{index}"
                        sample = run_case(case, quick, server.url, scratch, marker)
                        samples[case.key].append(sample)
                        shutil.rmtree(scratch, ignore_errors=True)
                        print(
                            f"[{run}/{repeat}] {index:>2}/{len(planned)} {case.key:<28} "
                            f"{headline(sample)}",
                            file=sys.stderr,
                            flush=True,
                        )
    return samples


def runner_command(case: Case, quick: bool, redis_url: str, scratch: Path) -> list[str]:
    python = str(PEERS_PYTHON if case.system.environment == "peers" else sys.executable)
    command = [python, "-m", case.system.runner, "--system", case.system.name]
    command += ["--workload", case.workload, "--n", str(case.n), "--workers", str(case.workers)]
    command += ["--scratch", str(scratch), "--redis-url", redis_url]
    command += ["--sizes", ",".join(map(str, plan.SCALE_SIZES[quick]))]
    command += ["--window", str(plan.SCALE_WINDOW[quick])]
    command += ["--interval", str(plan.PICKUP_INTERVAL), "--budget", str(plan.BUDGET[quick])]
    return command


def run_case(case: Case, quick: bool, redis_url: str, scratch: Path, marker: str) -> dict[str, Any]:
    """Run one case's runner once; its result or its error, with how idle the machine was."""
    scratch.mkdir(parents=True)
    idle = machine.wait_for_quiet()
    env = {**os.environ, "PYTHONPATH": str(REPO), MARKER: marker}
    log_path = scratch / "runner.log"
    timeout = SCALE_TIMEOUT if case.workload == "scale" else TIMEOUT
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            runner_command(case, quick, redis_url, scratch),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
        try:
            stdout, _ = process.communicate(timeout=timeout)
            error = None if process.returncode == 0 else f"runner exited {process.returncode}"
        except subprocess.TimeoutExpired:
            stdout, error = b"", f"timed out after {timeout:g}s"
            stop_runner(process)
        finally:
            sweep(marker)
    sample: dict[str, Any] = {"idle_before": round(idle, 3)}
    if error is None:
        try:
            result = json.loads(stdout.decode().strip().splitlines()[-1])
            return {**sample, "metrics": result["metrics"], "seconds": result["seconds"]}
        except (IndexError, ValueError, KeyError):
            error = "runner printed no result"
    tail = log_path.read_text(errors="replace").strip().splitlines()[-LOG_TAIL:]
    return {**sample, "error": error, "log_tail": tail}


def stop_runner(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a runner then stops its workers), then SIGKILL to its group."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def sweep(marker: str) -> None:
    """SIGKILL every process still carrying this run's marker (workers, consumers, tsp
    servers that a failed case left behind); each was started by this suite."""
    needle = f"{MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


def headline(sample: dict[str, Any]) -> str:
    if "error" in sample:
        return f"ERROR {sample['error']}: {' | '.join(sample['log_tail'][-2:])}"
    shown = ", ".join(f"{name} {value:,.4g}" for name, value in sample["metrics"].items())
    return f"{shown} ({sample['seconds']:.1f} s, idle {sample['idle_before']:.0%} before)"


def aggregate(
    planned: Sequence[Case], samples: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Per case: the median of each metric over the runs that succeeded, and every run."""
    entries = []
    for case in planned:
        runs = samples[case.key]
        good = [run["metrics"] for run in runs if "metrics" in run]
        names = sorted({name for metrics in good for name in metrics})
        entries.append(
            {
                "system": case.system.name,
                "workload": case.workload,
                "workers": case.workers,
                "n": case.n,
                "metrics": {
                    name: statistics.median([m[name] for m in good if name in m]) for name in names
                },
                "errors": [run["error"] for run in runs if "error" in run],
                "runs": runs,
            }
        )
    return entries


def write_outputs(out: Path, results: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "README.md").write_text(report.render(results))
    if not PEERS_PYTHON.exists():
        print("no peers environment: chart.png not drawn", file=sys.stderr)
        return
    chart = subprocess.run(
        [
            str(PEERS_PYTHON),
            "-m",
            "benchmarks.chart",
            str(out / "results.json"),
            str(out / "chart.png"),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    if chart.returncode != 0:
        print(f"chart.png not drawn:\n{chart.stderr}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
