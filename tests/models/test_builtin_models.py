"""Each built-in predictor on real inputs, called in-process as a worker's model process does."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from inferjobs.predictors.base import ItemInput, Predictor
from inferjobs.predictors.digits import DigitsPredictor, held_out
from inferjobs.predictors.embeddings import EmbeddingsPredictor
from inferjobs.predictors.registry import discover
from inferjobs.predictors.sentiment import SentimentPredictor
from inferjobs.predictors.similarity import SimilarityPredictor
from inferjobs.worker.child import ItemFailure, run_batch
from tests.models.images import digit_png


def _loaded(cls: type[Predictor], tmp_path: object = None) -> Predictor:
    predictor = cls()
    predictor.cache_dir = str(tmp_path or "")
    predictor.load()
    return predictor


def _text(name: str, text: str, explain: bool = False) -> ItemInput:
    return ItemInput(name, {"input.txt": text.encode()}, {"input.txt": "text/plain"}, explain)


def test_sentiment_positive_negative_and_word_contributions() -> None:
    model = _loaded(SentimentPredictor)
    good, bad = model.predict(
        [
            _text("g", "I love this, it is wonderful!", explain=True),
            _text("b", "This is a horrible, sad failure."),
        ]
    )
    assert isinstance(good, dict) and isinstance(bad, dict)
    top_good = good["results.json"]["data"]["result"]["classPredictions"][0]
    assert top_good["class"] == "positive" and top_good["score"] > 0.5
    assert bad["results.json"]["data"]["result"]["classPredictions"][0]["class"] == "negative"
    words = good["results.json"]["data"]["explanation"]["wordContributions"]
    assert {w["word"]: w["contribution"] for w in words}["love"] > 0
    assert "explanation" not in bad["results.json"]["data"]


def test_digits_classifies_held_out_images(tmp_path: object) -> None:
    model = _loaded(DigitsPredictor, tmp_path)
    images, labels = held_out()
    batch = [
        ItemInput(
            f"d{n}",
            {"image": digit_png(images[n], fmt="PNG" if n % 2 else "JPEG")},
            {"image": "image/png"},
        )
        for n in range(200)
    ]
    outputs = model.predict(batch)
    predicted = [
        int(o["results.json"]["data"]["result"]["classPredictions"][0]["class"])
        for o in outputs
        if isinstance(o, dict)
    ]
    accuracy = float(np.mean(np.array(predicted) == labels[:200]))
    assert accuracy >= 0.9, accuracy
    top = outputs[0]["results.json"]["data"]["result"]["classPredictions"]  # type: ignore[index]
    assert len(top) == 3 and abs(sum(c["score"] for c in top) - 1) < 0.2


def test_digits_explanation_and_thumbnail(tmp_path: object) -> None:
    model = _loaded(DigitsPredictor, tmp_path)
    images, _ = held_out()
    item = ItemInput(
        "d", {"image": digit_png(images[0], size=64)}, {"image": "image/png"}, explain=True
    )
    [result] = run_batch(model, [item], with_thumbnails=True)
    assert isinstance(result, dict)
    attribution = result["results.json"]["data"]["explanation"]["attributionMap"]
    assert np.array(attribution).shape == (8, 8)
    heat = Image.open(io.BytesIO(result["explanation.png"]))
    thumb = Image.open(io.BytesIO(result["thumbnail-image.png"]))
    assert heat.format == "PNG" and heat.size == (128, 128)
    assert thumb.format == "PNG" and max(thumb.size) <= 128


def test_digits_fails_only_an_unreadable_image(tmp_path: object) -> None:
    model = _loaded(DigitsPredictor, tmp_path)
    images, _ = held_out()
    good = ItemInput("ok", {"image": digit_png(images[1])}, {"image": "image/png"})
    junk = ItemInput("junk", {"image": b"\x89PNG\r\n\x1a\nnot really"}, {"image": "image/png"})
    ok, failed = run_batch(model, [good, junk], with_thumbnails=True)
    assert isinstance(ok, dict) and isinstance(failed, ItemFailure)
    assert "not a readable image" in failed.reason


def test_digits_refuses_a_decompression_bomb(tmp_path: object) -> None:
    model = _loaded(DigitsPredictor, tmp_path)
    bomb = io.BytesIO()
    Image.new("L", (10_000, 10_000)).save(bomb, format="PNG")  # 100 Mpx, tiny file
    [failed] = run_batch(
        model,
        [ItemInput("bomb", {"image": bomb.getvalue()}, {"image": "image/png"})],
        with_thumbnails=True,
    )
    assert isinstance(failed, ItemFailure) and "pixels" in failed.reason


def test_similarity_of_two_inputs() -> None:
    model = _loaded(SimilarityPredictor)
    item = ItemInput(
        "p", {"text-a.txt": b"the cat sat on the mat", "text-b.txt": b"the cat sat on the mat"}
    )
    other = ItemInput("q", {"text-a.txt": b"red apples", "text-b.txt": b"blue cars"})
    same, different = model.predict([item, other])
    assert same["results.json"]["data"]["result"]["cosine"] == 1.0  # type: ignore[index]
    assert different["results.json"]["data"]["result"]["cosine"] == 0.0  # type: ignore[index]


def test_embeddings_registered_only_when_installed() -> None:
    registered = "text-embeddings:1.0.0" in discover()
    assert registered == EmbeddingsPredictor.available()
    if os.environ.get("CI"):
        assert registered, "CI installs the embeddings extra"


@pytest.mark.skipif(not EmbeddingsPredictor.available(), reason="embeddings extra not installed")
def test_embeddings_are_384_dimensional_and_meaningful() -> None:
    model = _loaded(EmbeddingsPredictor)
    outputs = model.predict(
        [
            _text("a", "A man is eating food."),
            _text("b", "A man eats a meal."),
            _text("c", "The stock market fell sharply today."),
        ]
    )
    vectors = [
        np.array(o["results.json"]["data"]["result"]["embedding"])  # type: ignore[index]
        for o in outputs
    ]
    assert all(v.shape == (384,) for v in vectors)
    assert abs(np.linalg.norm(vectors[0]) - 1) < 1e-3
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
