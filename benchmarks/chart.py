"""``chart.png`` from ``results.json``: the table's rows as grouped bars, one panel per unit.

Runs in the peers' environment (matplotlib)::

    benchmarks/.peers/bin/python -m benchmarks.chart results.json chart.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from benchmarks import plan, report

COLORS = {
    "queuectl-sqlite": "#1f4e9c",
    "queuectl-redis": "#4f9be8",
    "huey-sqlite": "#c05a1a",
    "huey-redis": "#f0a050",
    "rq-fork": "#5a8a2a",
    "rq-simple": "#a3d06a",
    "tsp": "#8a5aa8",
}
PANELS = (
    ("jobs/s", "jobs per second (log scale; higher is better)"),
    ("ms", "milliseconds (log scale; lower is better)"),
    ("MB", "MiB (lower is better)"),
)


def draw(results: report.Results, path: Path) -> None:
    figure = plt.figure(figsize=(16, 11))
    grid = figure.add_gridspec(2, 4)
    places = {"jobs/s": grid[0, :], "ms": grid[1, :3], "MB": grid[1, 3]}
    axes = []
    for unit, label in PANELS:
        rows = [row for row in report.ROWS if row.unit == unit]
        axis = figure.add_subplot(places[unit])
        draw_panel(axis, results, rows)
        axis.set_ylabel(label, fontsize=9)
        if unit != "MB":
            axis.set_yscale("log")
        axes.append(axis)
    handles, labels = [], []
    for axis in axes:
        for handle, text in zip(*axis.get_legend_handles_labels(), strict=True):
            if text not in labels:
                handles.append(handle)
                labels.append(text)
    figure.legend(
        handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 0.955)
    )
    suite, machine = results.suite, results.data["machine"]
    kind = "quick run" if suite["quick"] else "full run"
    figure.suptitle(
        f"queuectl and its peers ({kind}, medians of {suite['repeat']}; "
        f"{machine['cpu']}, {machine['cores']} cores)",
        y=0.99,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.92))
    figure.savefig(path, dpi=100)


def draw_panel(axis: Any, results: report.Results, rows: list[report.Row]) -> None:
    """One group of bars per row, one bar per system; dashed lines: physical limits."""
    systems = list(plan.SYSTEMS)
    bar = 0.8 / len(systems)
    for group, row in enumerate(rows):
        for index, item in enumerate(systems):
            value = results.value(item.name, row)
            if value is not None:
                x = group - 0.4 + bar * (index + 0.5)
                axis.bar(x, value, bar, color=COLORS[item.name], label=item.label)
        for limit in dict.fromkeys(row.limits.values()):
            ceiling = results.limit(limit)
            if ceiling is not None:
                axis.hlines(
                    ceiling,
                    group - 0.45,
                    group + 0.45,
                    colors="black",
                    linestyles="dashed",
                    label="physical limit",
                )
                axis.text(group + 0.45, ceiling, f" {limit.short}", fontsize=6, va="center")
    axis.set_xticks(range(len(rows)))
    titles = [results.title(row).replace("`", "") for row in rows]
    axis.set_xticklabels(titles, rotation=20, ha="right", fontsize=8)
    axis.grid(axis="y", alpha=0.3)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m benchmarks.chart results.json chart.png", file=sys.stderr)
        return 2
    results = report.Results(json.loads(Path(argv[0]).read_text()))
    draw(results, Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
