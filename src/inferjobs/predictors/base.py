"""The predictor contract: declare a ModelSpec, load once per process, predict a batch."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import ItemError

Outputs = dict[str, Any]  # output name -> JSON value (JSON outputs) or bytes (file outputs)


@dataclass(frozen=True)
class ItemInput:
    """One item as a predictor sees it: the bytes and media type of each model input."""

    name: str
    values: dict[str, bytes]
    media_types: dict[str, str] = field(default_factory=dict)
    explain: bool = False

    def text(self, input_name: str) -> str:
        try:
            return self.values[input_name].decode("utf-8")
        except UnicodeDecodeError:
            raise ItemError(f"input {input_name} is not valid UTF-8 text") from None


class Predictor(ABC):
    """Subclass this, set `spec`, and register the class under `inferjobs.predictors`.

    `predict` returns one entry per item, in order: its outputs, or an ItemError (or any
    exception) for an item that failed. Raising from `predict` fails the whole batch, and the
    worker then retries the items one at a time so that only the bad one fails.
    """

    spec: ClassVar[ModelSpec]
    cache_dir: str = ""  # a writable directory for artefacts built once (set before load)

    @classmethod
    def available(cls) -> bool:
        """Whether this predictor can run here (e.g. an optional dependency is installed)."""
        return True

    def load(self) -> None:  # noqa: B027 - optional hook
        """Load weights or data; called once per process before the first batch."""

    @abstractmethod
    def predict(self, batch: Sequence[ItemInput]) -> list[Outputs | Exception]:
        """Run the model on a batch of items."""
