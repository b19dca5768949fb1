"""Sentiment analysis of English text with VADER (lexicon shipped inside vaderSentiment)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec, Requirement
from inferjobs.predictors.base import ItemInput, Outputs, Predictor

_WORD = re.compile(r"[\w']+")


class SentimentPredictor(Predictor):
    spec = ModelSpec(
        identifier="ed542963de",
        version="1.0.1",
        name="Sentiment Analysis",
        description="Scores English text as positive, negative or neutral (VADER).",
        long_description=(
            "Rule- and lexicon-based sentiment analysis tuned to social media text. Returns a "
            "score per class; with explain=true, each word's contribution to the polarity."
        ),
        inputs=(InputSpec("input.txt", ("text/plain",), 1_000_000, "English text, UTF-8"),),
        outputs=(OutputSpec("results.json", "application/json", 1_000_000, "class scores"),),
        tags=("text", "sentiment", "nlp"),
        requirement=Requirement(cpu_millis=500, memory_mib=256),
        max_batch_size=64,
        can_explain=True,
        sample_input={
            "model": {"identifier": "ed542963de", "version": "1.0.1"},
            "explain": False,
            "input": {"type": "text", "sources": {"my-input": {"input.txt": "Modzy is great!"}}},
        },
        sample_output={
            "results.json": {
                "data": {
                    "result": {
                        "classPredictions": [
                            {"class": "positive", "score": 0.627},
                            {"class": "neutral", "score": 0.373},
                            {"class": "negative", "score": 0.0},
                        ]
                    }
                }
            }
        },
    )

    def load(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()

    def predict(self, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        out: list[Outputs | Exception] = []
        for item in batch:
            text = item.text("input.txt")
            out.append({"results.json": self._score(text, item.explain)})
        return out

    def _score(self, text: str, explain: bool) -> dict[str, Any]:
        scores = self._analyzer.polarity_scores(text)
        classes = [
            {"class": name, "score": round(scores[short], 4)}
            for name, short in (("positive", "pos"), ("neutral", "neu"), ("negative", "neg"))
        ]
        classes.sort(key=lambda c: -float(str(c["score"])))
        data: dict[str, Any] = {
            "result": {"classPredictions": classes, "compound": scores["compound"]}
        }
        if explain:
            data["explanation"] = {"wordContributions": self._words(text)}
        return {"data": data}

    def _words(self, text: str) -> list[dict[str, Any]]:
        lexicon = self._analyzer.lexicon
        return [
            {"word": word, "contribution": float(lexicon.get(word.lower(), 0.0))}
            for word in _WORD.findall(text)
        ]
