"""Summarise a py-spy profile.

    python3 -m bench.profiling FILE [--top N]
    python3 -m bench.profiling FILE --under "Slot.run (" [--skip slot.py]

Record one with `py-spy record --format raw -o FILE -p PID` (bench/.venv/bin/py-spy, or
`bench/run.py --profile`); FILE then holds collapsed stacks ("frame;frame;... count"). The
first form prints the functions holding the most samples, inclusive (anywhere on the stack)
and self (the leaf). The second takes the stacks that pass through a frame containing the
`--under` text and splits them by the first inferjobs function below it (skipping frames
from the files named in `--skip`): where the time of, say, the worker's slot loop goes.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

Stacks = list[tuple[list[str], int]]
LINE = re.compile(r" \([^()]*:\d+\)$")


def load(path: Path) -> Stacks:
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    return stacks


def tally(stacks: Stacks) -> tuple[Counter[str], Counter[str], int]:
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    for frames, count in stacks:
        for frame in set(frames):
            inclusive[frame] += count
        leaf[frames[-1]] += count
    return inclusive, leaf, sum(c for _, c in stacks)


def report(path: Path, top: int = 25) -> str:
    inclusive, leaf, total = tally(load(path))
    lines = [f"{path}: {total} samples"]
    for title, counter in (("inclusive", inclusive), ("self", leaf)):
        lines.append(f"-- top {top} {title}")
        lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in counter.most_common(top)]
    return "\n".join(lines)


def below(frames: list[str], under: str, skip: tuple[str, ...]) -> str | None:
    """The first inferjobs function under the frame matching `under` (None: not under it)."""
    start = next((i for i, f in enumerate(frames) if under in f), None)
    if start is None:
        return None
    for frame in frames[start + 1 :]:
        if "inferjobs/" in frame and not any(s in frame for s in skip):
            where = frame.rsplit("(", 1)[-1].split(":")[0]
            return f"{LINE.sub('', frame)} [{where}]"
    return "(itself)"


def split(path: Path, under: str, skip: tuple[str, ...], top: int = 25) -> str:
    parts: Counter[str] = Counter()
    for frames, count in load(path):
        part = below(frames, under, skip)
        if part is not None:
            parts[part] += count
    total = sum(parts.values())
    lines = [f"{path}: {total} samples under {under!r}"]
    lines += [f"{100 * n / max(total, 1):5.1f}%  {p}" for p, n in parts.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 -m bench.profiling")
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--under", help="split the stacks through this frame")
    parser.add_argument("--skip", default="", help="comma-separated files to look through")
    args = parser.parse_args()
    if args.under:
        skip = tuple(s for s in args.skip.split(",") if s)
        print(split(args.file, args.under, skip, args.top))
    else:
        print(report(args.file, args.top))


if __name__ == "__main__":
    main()
