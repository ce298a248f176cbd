"""Where ``queuectl status``'s start-up goes, by top-level package (``-X importtime``).

    .venv/bin/python benchmarks/profiles/startup.py [RUNS]

Runs ``python -X importtime -m queuectl_core status`` RUNS times in a scratch SQLite
file and prints the median self time of each top-level package's modules, largest
first, next to the median wall time of the whole command and of ``python -c pass``.
Add ``QUEUECTL_BACKEND=redis`` etc. to the environment to profile another backend.
"""

from __future__ import annotations

import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 9


def wall_ms(argv: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    env = dict(os.environ)
    env.setdefault("QUEUECTL_DB", os.path.join(tempfile.mkdtemp(), "q.db"))
    status = [sys.executable, "-m", "queuectl_core", "status"]
    per_package: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(RUNS):
        run = subprocess.run(
            [sys.executable, "-X", "importtime", *status[1:]],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        totals: collections.Counter[str] = collections.Counter()
        for line in run.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _, name = (part.strip() for part in line[12:].split("|"))
            totals[name.split(".")[0]] += int(self_us)
        for package, micros in totals.items():
            per_package[package].append(micros / 1000)
    print(f"python -c pass: {wall_ms([sys.executable, '-c', 'pass'], env):.1f} ms wall")
    print(f"queuectl status: {wall_ms(status, env):.1f} ms wall")
    print("import time by top-level package (median ms, self times summed):")
    medians = {name: statistics.median(values) for name, values in per_package.items()}
    for name, ms in sorted(medians.items(), key=lambda item: -item[1])[:15]:
        print(f"  {ms:6.1f}  {name}")


if __name__ == "__main__":
    main()
