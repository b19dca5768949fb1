"""Text similarity of two inputs: cosine of their word-count vectors, and word-set overlap."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec, Requirement
from inferjobs.predictors.base import ItemInput, Outputs, Predictor

_WORD = re.compile(r"\w+", re.UNICODE)


class SimilarityPredictor(Predictor):
    spec = ModelSpec(
        identifier="text-similarity",
        version="1.0.0",
        name="Text Similarity",
        description="How similar two texts are: cosine of word counts and Jaccard overlap.",
        inputs=(
            InputSpec("text-a.txt", ("text/plain",), 1_000_000, "first text"),
            InputSpec("text-b.txt", ("text/plain",), 1_000_000, "second text"),
        ),
        outputs=(OutputSpec("results.json", "application/json"),),
        tags=("text", "similarity", "nlp"),
        requirement=Requirement(cpu_millis=250, memory_mib=128),
        max_batch_size=128,
        sample_input={
            "input": {
                "type": "text",
                "sources": {
                    "pair-1": {
                        "text-a.txt": "the cat sat on the mat",
                        "text-b.txt": "a cat sat on a mat",
                    }
                },
            }
        },
        sample_output={
            "results.json": {
                "data": {
                    "result": {
                        "cosine": 0.7071,
                        "jaccard": 0.5714,
                        "sharedWords": ["cat", "mat", "on", "sat"],
                    }
                }
            }
        },
    )

    def predict(self, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        return [
            {
                "results.json": {
                    "data": {"result": compare(item.text("text-a.txt"), item.text("text-b.txt"))}
                }
            }
            for item in batch
        ]


def compare(first: str, second: str) -> dict[str, object]:
    a = Counter(w.lower() for w in _WORD.findall(first))
    b = Counter(w.lower() for w in _WORD.findall(second))
    dot = sum(a[w] * b[w] for w in a.keys() & b.keys())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    union = a.keys() | b.keys()
    return {
        "cosine": round(dot / norm, 4) if norm else 0.0,
        "jaccard": round(len(a.keys() & b.keys()) / len(union), 4) if union else 0.0,
        "sharedWords": sorted(a.keys() & b.keys()),
    }
