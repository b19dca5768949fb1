"""Run predictors: load once per process, predict batches, isolate a failing item."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from inferjobs.errors import InferJobsError, ItemError
from inferjobs.predictors.base import ItemInput, Outputs, Predictor
from inferjobs.predictors.registry import Installed

log = logging.getLogger(__name__)


class ModelLoadError(InferJobsError):
    """A predictor could not be loaded: the jobs that need it end as ERROR."""


@dataclass
class Loaded:
    predictor: Predictor
    lock: threading.Lock


class PredictorHost:
    """Holds the loaded predictors of this process, one instance per model version."""

    def __init__(self, installed: dict[str, Installed]) -> None:
        self.installed = installed
        self._loaded: dict[str, Loaded] = {}
        self._lock = threading.Lock()

    def get(self, model_key: str) -> Loaded:
        with self._lock:
            if model_key not in self._loaded:
                self._loaded[model_key] = Loaded(self._load(model_key), threading.Lock())
            return self._loaded[model_key]

    def _load(self, model_key: str) -> Predictor:
        entry = self.installed.get(model_key)
        if entry is None:
            raise ModelLoadError(f"model {model_key} is not installed on this worker")
        try:
            predictor = entry.predictor()
            predictor.load()
        except Exception as exc:
            log.exception("model %s failed to load", model_key)
            raise ModelLoadError(f"model {model_key} failed to load: {exc}") from exc
        return predictor

    def run(self, model_key: str, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        """Predict a batch; if the batch raises, run its items one by one to isolate the bad one."""
        loaded = self.get(model_key)
        with loaded.lock:  # predictors need not be thread-safe
            try:
                return _checked(loaded.predictor.predict(batch), len(batch))
            except Exception as exc:
                if len(batch) == 1:
                    return [_as_item_error(exc)]
                log.info("batch of %d failed (%s); retrying item by item", len(batch), exc)
            return [self._one(loaded.predictor, item) for item in batch]

    @staticmethod
    def _one(predictor: Predictor, item: ItemInput) -> Outputs | Exception:
        try:
            return _checked(predictor.predict([item]), 1)[0]
        except Exception as exc:
            return _as_item_error(exc)


def _checked(outputs: list[Outputs | Exception], expected: int) -> list[Outputs | Exception]:
    if not isinstance(outputs, list) or len(outputs) != expected:
        raise ItemError(f"the model returned {len(outputs)} results for {expected} items")
    return outputs


def _as_item_error(exc: Exception) -> Exception:
    return exc if isinstance(exc, ItemError) else ItemError(f"{type(exc).__name__}: {exc}")
