"""The benchmark suite: run the scenarios, print tables and targets, write the raw JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import efficiency, history, latency, memory, report, scaling, stack, throughput
from bench.common import ROOT, Sizes
from bench.services import ensure_postgres

Scenario = Callable[[Sizes, Path, argparse.Namespace], dict[str, Any]]
SCENARIOS: dict[str, Scenario] = {
    "throughput": lambda s, d, _: throughput.run(s, d),
    "efficiency": lambda s, d, a: efficiency.run(s, d, a.models.split(",")),
    "latency": lambda s, d, _: latency.run(s, d),
    "history": lambda s, d, _: history.run(s, d),
    "memory": lambda s, d, _: memory.run(s, d),
    "scaling": lambda s, d, _: scaling.run(s, d),
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, under a minute")
    parser.add_argument(
        "--only", action="append", choices=sorted(SCENARIOS), help="run only this (repeatable)"
    )
    parser.add_argument("--rounds", type=int, help="rounds per comparison (median reported)")
    parser.add_argument("--out", type=Path, help="JSON file (default bench/results/<time>.json)")
    parser.add_argument(
        "--models",
        default="digits:1.0.0,text-embeddings:1.0.0,ed542963de:1.0.1",
        help="efficiency models (text-embeddings is skipped when it is not installed)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy every inferjobs API and worker process (raw stacks beside the JSON)",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="override a size"
    )
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    sizes = Sizes.smoke() if args.smoke else Sizes()
    if args.rounds:
        sizes = replace(sizes, rounds=args.rounds)
    for item in args.set:
        field, _, value = item.partition("=")
        current = getattr(sizes, field)
        parsed: Any = (
            tuple(type(current[0])(v) for v in value.split(","))
            if isinstance(current, tuple)
            else type(current)(value)
        )
        sizes = replace(sizes, **{field: parsed})
    return sizes


def machine() -> dict[str, Any]:
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if "model name" in ln), "")
    versions = {p: metadata.version(p) for p in ("inferjobs", "celery", "procrastinate", "uvicorn")}
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit,
    }


def run_scenario(name: str, sizes: Sizes, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    print(f"\n== {name} ==", flush=True)
    load_before = os.getloadavg()
    began = time.perf_counter()
    result = SCENARIOS[name](sizes, work / name, args)
    result["seconds"] = time.perf_counter() - began
    result["loadavg_before"] = load_before
    result["loadavg_after"] = os.getloadavg()
    result["targets"] = report.targets(name, result["rows"])
    print(f"({result['seconds']:.0f} s)")
    print(report.table(result["rows"], report.COLUMNS[name]))
    if result["targets"]:
        print(report.table(result["targets"], ["target", "measured", "verdict"]))
    return result


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups on kill
    args = parse(argv)
    sizes = sizes_from(args)
    ensure_postgres()
    out = args.out or ROOT / "bench" / "results" / time.strftime(
        f"%Y%m%d-%H%M%S{'-smoke' if args.smoke else ''}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.profile:
        stack.PROFILE["dir"] = out.parent / f"{out.stem}-profiles"
        print(f"profiles in {stack.PROFILE['dir']} (summarise: python -m bench.profiling FILE)")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    doc: dict[str, Any] = {"machine": machine(), "sizes": asdict(sizes), "scenarios": {}}
    print(f"logs in {work}; results to {out}", flush=True)
    for name in args.only or list(SCENARIOS):
        doc["scenarios"][name] = run_scenario(name, sizes, args, work)
        out.write_text(json.dumps(doc, indent=2, default=str))  # after each: partial runs keep data
    print(f"\nwrote {out}")
    return 0
