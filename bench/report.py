"""Tables for the terminal and the targets each scenario is held to."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import verdict

Row = dict[str, Any]
COLUMNS: dict[str, list[str]] = {
    "throughput": [
        "system", "workers", "clients", "shape", "median_items_per_s",
        "x_celery+redis", "x_procrastinate", "server_errors_retried",
    ],
    "efficiency": [
        "model", "database", "items", "direct_items_per_s", "service_items_per_s",
        "service_pct_of_direct",
    ],
    "latency": ["database", "clients", "p50_ms", "p99_ms", "submits_per_s", "requests", "errors"],
    "history": ["query", "p50_ms", "p95_ms", "requests"],
    "memory": ["process", "phase", "*", "growth_pct"],
    "scaling": [
        "database", "workers", "slots", "items", "median_items_per_s", "ideal_items_per_s",
        "efficiency_pct",
    ],
}  # fmt: skip


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)


def _cells(rows: Sequence[Row], columns: Sequence[str]) -> list[list[str]]:
    """Header and rows; `*` in `columns` stands for every numeric column not named."""
    names = [c for c in columns if c != "*"]
    if "*" in columns:
        extra = [k for k in rows[0] if k not in names and isinstance(rows[0][k], float | int)]
        at = list(columns).index("*")
        names = names[:at] + extra + names[at:]
    return [names] + [[cell(row.get(c, "")) for c in names] for row in rows]


def table(rows: Sequence[Row], columns: Sequence[str]) -> str:
    if not rows:
        return "(no rows)"
    cells = _cells(rows, columns)
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """The same table as `table`, as Markdown (for docs/benchmarks.md)."""
    if not rows:
        return "(no rows)"
    header, *body = _cells(rows, columns)
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])


def _throughput(rows: Sequence[Row]) -> list[Row]:
    found = []
    for row in rows:
        if not row["system"].startswith("inferjobs"):
            continue
        what = f"{row['system']} w={row['workers']} {row['shape']}"
        found.append(_target(f"{what}: >=2x Celery+Redis", row["x_celery+redis"], 2.0, "x"))
        found.append(_target(f"{what}: >=3x Procrastinate", row["x_procrastinate"], 3.0, "x"))
    return found


def _efficiency(rows: Sequence[Row]) -> list[Row]:
    return [
        _target(
            f"{r['model']} on {r['database']}: >=90% of direct",
            r["service_pct_of_direct"],
            90.0,
            "%",
        )
        for r in rows
    ]


def _latency(rows: Sequence[Row]) -> list[Row]:
    found = []
    most = max((r["clients"] for r in rows), default=0)
    for r in rows:
        db = r["database"]
        if r["clients"] == 1:
            found.append(_target(f"{db} 1 client: p50 <=3 ms", r["p50_ms"], 3.0, "ms", True))
            found.append(_target(f"{db} 1 client: p99 <=15 ms", r["p99_ms"], 15.0, "ms", True))
        if r["clients"] == most:
            found.append(_target(f"{db} {most} clients: no errors", r["errors"], 0, "", True))
    return found


def _history(rows: Sequence[Row]) -> list[Row]:
    return [_target(f"{r['query']}: p95 <=20 ms", r["p95_ms"], 20.0, "ms", True) for r in rows]


def _memory(rows: Sequence[Row]) -> list[Row]:
    return [
        _target(f"{r['process']} ({r['phase']}): within 20%", r["growth_pct"], 20.0, "%", True)
        for r in rows
    ]


def _target(name: str, value: float, bound: float, unit: str, at_most: bool = False) -> Row:
    met = value <= bound if at_most else value >= bound
    return {"target": name, "measured": f"{cell(value)}{unit}", "verdict": verdict(met)}


TARGETS: dict[str, Callable[[Sequence[Row]], list[Row]]] = {
    "throughput": _throughput,
    "efficiency": _efficiency,
    "latency": _latency,
    "history": _history,
    "memory": _memory,
}


def targets(scenario: str, rows: Sequence[Row]) -> list[Row]:
    """The targets of a scenario, each with its measured value and verdict (none: [])."""
    check = TARGETS.get(scenario)
    return check(rows) if check else []


def main(path: str) -> None:
    """`python -m bench.report FILE.json`: every scenario's table and targets as Markdown."""
    doc = json.loads(Path(path).read_text())
    for name, result in doc["scenarios"].items():
        print(f"### {name}\n\n{markdown(result['rows'], COLUMNS[name])}\n")
        if result.get("targets"):
            print(f"{markdown(result['targets'], ['target', 'measured', 'verdict'])}\n")


if __name__ == "__main__":
    main(sys.argv[1])
