"""2. Model efficiency: items through a real model via the service vs the same predictor called
in-process on the same batches. Service throughput as a percentage of the direct call.

Models are a parameter (`--models id:version,...`); each needs a case below saying which
predictor class implements it and how to make its inputs, so image or embedding models can be
added beside the sentiment one.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import Model, http_client, run_job
from bench.common import Sizes, median, ratio
from bench.stack import inferjobs

WORDS = ["great", "terrible", "okay", "love", "hate", "fine", "awful", "wonderful", "boring"]
WARM_UP_ITEMS = 512
THINGS = ["movie", "service", "food", "day", "product", "weather", "book", "game"]


def review(n: int) -> str:
    """A short review-like sentence, different for every n."""
    word, other = WORDS[n % len(WORDS)], WORDS[(n // 7) % len(WORDS)]
    thing = THINGS[(n // 3) % len(THINGS)]
    return f"The {thing} number {n} was {word}, honestly {other}! Would I go again? Maybe."


@dataclass(frozen=True)
class ModelCase:
    model: Model
    predictor: str  # "module:Class"
    make_text: Callable[[int], str]

    def load(self) -> Any:
        module, name = self.predictor.split(":")
        predictor = getattr(importlib.import_module(module), name)()
        predictor.load()
        return predictor


CASES = {
    "ed542963de:1.0.1": ModelCase(
        Model("ed542963de", "1.0.1"), "inferjobs.predictors.sentiment:SentimentPredictor", review
    ),
}


def direct(case: ModelCase, items: Sequence[tuple[str, str]]) -> float:
    """Items per second calling the predictor in-process, in batches of its max batch size."""
    from inferjobs.predictors.base import ItemInput

    predictor = case.load()
    name = case.model.input_name
    inputs = [ItemInput(n, {name: t.encode()}, {name: "text/plain"}) for n, t in items]
    size = predictor.spec.max_batch_size
    began = time.perf_counter()
    for start in range(0, len(inputs), size):
        predictor.predict(inputs[start : start + size])
    return len(inputs) / (time.perf_counter() - began)


def service(case: ModelCase, items: Sequence[tuple[str, str]], db: str, log_dir: Path) -> float:
    """Items per second through inferjobs (one worker), after a warm-up job loaded the model
    in every slot of the worker (a few batches' worth of items, so that each slot claims)."""
    warm_up = [(f"warm-up-{n}", case.make_text(n)) for n in range(WARM_UP_ITEMS)]
    with inferjobs(log_dir, db, 1) as stack, http_client(stack, 1) as http:
        run_job(http, case.model, warm_up)
        began = time.perf_counter()
        done = run_job(http, case.model, items)
        elapsed = time.perf_counter() - began
    if done != len(items):
        raise AssertionError(f"efficiency: {done} results for {len(items)} items")
    return done / elapsed


def run(sizes: Sizes, work_dir: Path, models: Sequence[str]) -> dict[str, Any]:
    raw: dict[str, dict[str, list[float]]] = {}
    for round_no in range(sizes.rounds):
        for key in models:
            case = CASES[key]
            items = [(f"item-{n}", case.make_text(n)) for n in range(sizes.efficiency_items)]
            for db in sizes.efficiency_databases:
                runs = raw.setdefault(f"{key} {db}", {"direct": [], "service": []})
                runs["direct"].append(direct(case, items))
                log_dir = work_dir / f"r{round_no}-{key.replace(':', '-')}-{db}"
                runs["service"].append(service(case, items, db, log_dir))
                print(
                    f"  efficiency round {round_no + 1} {key} {db}: direct "
                    f"{runs['direct'][-1]:.0f}/s, service {runs['service'][-1]:.0f}/s",
                    flush=True,
                )
    return {"raw": raw, "rows": [_row(label, runs, sizes) for label, runs in raw.items()]}


def _row(label: str, runs: dict[str, list[float]], sizes: Sizes) -> dict[str, Any]:
    model, db = label.split(" ")
    direct_rate, service_rate = median(runs["direct"]), median(runs["service"])
    return {
        "model": model,
        "database": db,
        "items": sizes.efficiency_items,
        "direct_items_per_s": direct_rate,
        "service_items_per_s": service_rate,
        "service_pct_of_direct": ratio(service_rate, direct_rate) * 100,
    }
