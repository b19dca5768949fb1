"""The model process: loads one predictor and runs the batches its supervisor sends.

Messages over the pipe (tuples): parent -> child `("predict", items)`; child -> parent
`("ready", load_ms)`, `("load_failed", reason)`, `("done", (outputs, compute_ms))`. An output
is a dict of output values or an `ItemFailure`. Everything here is picklable plain data.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from inferjobs.errors import InferJobsError
from inferjobs.predictors import thumbnails
from inferjobs.predictors.base import ItemInput, Outputs, Predictor
from inferjobs.predictors.registry import discover


@dataclass(frozen=True)
class ItemFailure:
    reason: str


Result = Outputs | ItemFailure


THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def serve(conn: Connection, model_key: str, cache_dir: str, threads: int = 0) -> None:
    """Entry point of the child process. `threads` caps the compute threads of numerical
    libraries (read when they are first imported) to the CPUs the model declared."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come inside packages, never a hub
    for name in THREAD_VARIABLES if threads else ():
        os.environ[name] = str(threads)
    started = time.perf_counter()
    try:
        predictor = _load(model_key, cache_dir)
    except Exception as exc:
        conn.send(("load_failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", (time.perf_counter() - started) * 1000))
    image = predictor.spec.image_classification
    while True:
        try:
            kind, items = conn.recv()
        except EOFError:
            return
        if kind == "predict":
            began = time.perf_counter()
            outputs = run_batch(predictor, items, with_thumbnails=image)
            conn.send(("done", (outputs, (time.perf_counter() - began) * 1000)))


def _load(model_key: str, cache_dir: str) -> Predictor:
    installed = discover().get(model_key)
    if installed is None:
        raise LookupError(f"model {model_key} is not installed")
    predictor = installed.predictor()
    predictor.cache_dir = cache_dir
    predictor.load()
    return predictor


def run_batch(
    predictor: Predictor, items: Sequence[ItemInput], *, with_thumbnails: bool
) -> list[Result]:
    """Predict a batch; if it raises, predict each item alone so only the bad one fails."""
    try:
        results = _checked(predictor.predict(items), len(items))
    except Exception:
        results = [_one(predictor, item) for item in items]
    if with_thumbnails:
        results = [_with_thumbnails(item, r) for item, r in zip(items, results, strict=True)]
    return results


def _one(predictor: Predictor, item: ItemInput) -> Result:
    try:
        return _checked(predictor.predict([item]), 1)[0]
    except Exception as exc:
        return _failure(exc)


def _checked(outputs: Any, expected: int) -> list[Result]:
    if not isinstance(outputs, list) or len(outputs) != expected:
        raise InferJobsError(f"the model returned {len(outputs)} results for {expected} items")
    return [o if isinstance(o, dict) else _failure(o) for o in outputs]


def _failure(exc: object) -> ItemFailure:
    if isinstance(exc, InferJobsError):
        return ItemFailure(exc.message)
    if isinstance(exc, Exception):
        return ItemFailure(f"{type(exc).__name__}: {exc}")
    return ItemFailure(f"the model returned {type(exc).__name__} instead of outputs")


def _with_thumbnails(item: ItemInput, result: Result) -> Result:
    if isinstance(result, ItemFailure):
        return result
    extra: dict[str, Any] = {}
    for name, data in item.values.items():
        if item.media_types.get(name, "").startswith("image/"):
            try:
                extra[f"thumbnail-{name}.png"] = thumbnails.make(data)
            except InferJobsError:
                continue
    return {**result, **extra}
