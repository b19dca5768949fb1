"""Diagnostic models for tests and benchmarks (hidden by INFERJOBS_HIDE_DIAGNOSTIC_MODELS)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec, Requirement
from inferjobs.errors import ItemError
from inferjobs.predictors.base import ItemInput, Outputs, Predictor

_TEXT_IN = (InputSpec("input.txt", ("text/plain",), 10_000_000, "any UTF-8 text"),)
_JSON_OUT = (OutputSpec("results.json", "application/json"),)


class EchoPredictor(Predictor):
    """Returns its text input as JSON; as cheap as a model can be.

    An input that starts with `error:` fails that item with the rest as its reason, so tests
    can produce a failed item next to successful ones.
    """

    spec = ModelSpec(
        identifier="echo",
        version="1.0.0",
        name="Echo (diagnostic)",
        description=(
            "Diagnostic: returns its text input as JSON; an input starting with 'error:' fails "
            "that item. For tests and benchmarks."
        ),
        inputs=_TEXT_IN,
        outputs=_JSON_OUT,
        tags=("diagnostic",),
        requirement=Requirement(cpu_millis=100, memory_mib=64),
        max_batch_size=256,
        diagnostic=True,
        sample_input={"input": {"type": "text", "sources": {"a": {"input.txt": "hello"}}}},
        sample_output={"results.json": {"text": "hello"}},
    )

    def predict(self, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        return [self._echo(item.text("input.txt")) for item in batch]

    @staticmethod
    def _echo(text: str) -> Outputs | Exception:
        if text.startswith("error:"):
            return ItemError(text.removeprefix("error:").strip() or "requested failure")
        return {"results.json": {"text": text}}


class SleepPredictor(Predictor):
    """Sleeps, per item, the milliseconds given as its text input (100 ms if not a number)."""

    spec = ModelSpec(
        identifier="sleep",
        version="1.0.0",
        name="Sleep (diagnostic)",
        description="Diagnostic: sleeps the given number of milliseconds per item.",
        inputs=_TEXT_IN,
        outputs=_JSON_OUT,
        tags=("diagnostic",),
        requirement=Requirement(cpu_millis=100, memory_mib=64),
        max_batch_size=1,
        timeout_run_ms=600_000,
        diagnostic=True,
        sample_input={"input": {"type": "text", "sources": {"a": {"input.txt": "250"}}}},
        sample_output={"results.json": {"sleptMs": 250}},
    )

    def predict(self, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        out: list[Outputs | Exception] = []
        for item in batch:
            try:
                millis = max(0, int(float(item.text("input.txt").strip())))
            except ValueError:
                millis = 100
            time.sleep(millis / 1000)
            out.append({"results.json": {"sleptMs": millis}})
        return out
