"""Figures measured by the reliability tests, printed at the end of the run.

Set INFERJOBS_RELIABILITY_FIGURES to a file path to also get them as JSON (docs/reliability.md
quotes them).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

FIGURES: dict[str, dict[str, int | float]] = defaultdict(dict)


def record(test: str, **numbers: int | float) -> None:
    for name, value in numbers.items():
        FIGURES[test][name] = FIGURES[test].get(name, 0) + value


def lines() -> list[str]:
    return [
        f"{test}: " + ", ".join(f"{name}={value}" for name, value in sorted(numbers.items()))
        for test, numbers in sorted(FIGURES.items())
    ]


def save() -> None:
    target = os.environ.get("INFERJOBS_RELIABILITY_FIGURES")
    if target and FIGURES:
        Path(target).write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")
