"""2. Model efficiency: items through a real model via the service vs the same predictor called
in-process on the same batches. Service throughput as a percentage of the direct call.

Models are a parameter (`--models id:version,...`); each needs a case below saying which
predictor class implements it and how to make its inputs: the digits model (PNG images sent
embedded), the embeddings model (skipped when it is not installed) and the sentiment model.
"""

from __future__ import annotations

import base64
import importlib
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
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


def digit_image(n: int) -> str:
    """A 32x32 PNG of one of scikit-learn's bundled handwritten digits, as a data URI."""
    from PIL import Image

    images = _digits_images()
    grey = (images[n % len(images)] * 15.9).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(grey).resize((32, 32), Image.Resampling.NEAREST).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@cache
def _digits_images() -> Any:
    from sklearn.datasets import load_digits

    return load_digits().images


@dataclass(frozen=True)
class ModelCase:
    model: Model
    predictor: str  # "module:Class"
    make_value: Callable[[int], str]  # the item's value on the wire
    media_type: str = "text/plain"

    def available(self) -> bool:
        module, name = self.predictor.split(":")
        try:
            cls = getattr(importlib.import_module(module), name)
        except ImportError:
            return False
        return bool(getattr(cls, "available", lambda: True)())

    def load_in(self, cache_dir: Path) -> Any:
        module, name = self.predictor.split(":")
        predictor = getattr(importlib.import_module(module), name)()
        predictor.cache_dir = str(cache_dir)
        predictor.load()
        return predictor

    def raw(self, value: str) -> bytes:
        """The bytes the model receives for a wire value (a data URI is decoded)."""
        if self.model.source_type == "embedded":
            return base64.b64decode(value.partition(",")[2])
        return value.encode()


CASES = {
    "digits:1.0.0": ModelCase(
        Model("digits", "1.0.0", "image", "embedded"),
        "inferjobs.predictors.digits:DigitsPredictor",
        digit_image,
        "image/png",
    ),
    "text-embeddings:1.0.0": ModelCase(
        Model("text-embeddings", "1.0.0"),
        "inferjobs.predictors.embeddings:EmbeddingsPredictor",
        review,
    ),
    "ed542963de:1.0.1": ModelCase(
        Model("ed542963de", "1.0.1"), "inferjobs.predictors.sentiment:SentimentPredictor", review
    ),
}


def direct(case: ModelCase, items: Sequence[tuple[str, str]], cache_dir: Path) -> float:
    """Items per second calling the predictor in-process, in batches of its max batch size."""
    from inferjobs.predictors.base import ItemInput

    predictor = case.load_in(cache_dir)
    name = case.model.input_name
    inputs = [ItemInput(n, {name: case.raw(v)}, {name: case.media_type}) for n, v in items]
    size = predictor.spec.max_batch_size
    predictor.predict(inputs[:size])  # warm-up, as the service's warm-up job
    began = time.perf_counter()
    for start in range(0, len(inputs), size):
        predictor.predict(inputs[start : start + size])
    return len(inputs) / (time.perf_counter() - began)


def service(case: ModelCase, items: Sequence[tuple[str, str]], db: str, log_dir: Path) -> float:
    """Items per second through inferjobs (one worker), after a warm-up job loaded the model
    in every slot of the worker (a few batches' worth of items, so that each slot claims)."""
    warm_up = [(f"warm-up-{n}", case.make_value(n)) for n in range(WARM_UP_ITEMS)]
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
            if not case.available():
                print(f"  efficiency: {key} is not installed; skipped", flush=True)
                continue
            items = [(f"item-{n}", case.make_value(n)) for n in range(sizes.efficiency_items)]
            for db in sizes.efficiency_databases:
                runs = raw.setdefault(f"{key} {db}", {"direct": [], "service": []})
                runs["direct"].append(direct(case, items, work_dir / "model-cache"))
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
