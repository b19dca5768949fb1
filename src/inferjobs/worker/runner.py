"""Run batches in a model process; isolate the item that crashes, hangs or leaks."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import ItemError
from inferjobs.predictors.base import ItemInput, Outputs
from inferjobs.worker.child import ItemFailure, Result
from inferjobs.worker.resources import Ledger
from inferjobs.worker.supervisor import ModelProcess, ProcessFailure

log = logging.getLogger(__name__)


class SlotRunner:
    """The model process of one worker slot; it switches model versions when asked to."""

    def __init__(self, ledger: Ledger, cache_dir: str, memory_limit_mib: int) -> None:
        self.ledger = ledger
        self.cache_dir = cache_dir
        self.memory_limit_mib = memory_limit_mib
        self.process: ModelProcess | None = None

    @property
    def current(self) -> ModelSpec | None:
        return self.process.spec if self.process else None

    def can_take(self, spec: ModelSpec) -> bool:
        """Whether this slot could run `spec` now (switching model if it must)."""
        if self.current is not None and self.current.key == spec.key:
            return True
        if self.current is None:
            return self.ledger.fits_now(spec.requirement)
        return self.ledger.fits_instead(spec.requirement, self.current.requirement)

    def use(self, spec: ModelSpec) -> bool:
        """Make `spec` this slot's model, reserving its resources; False if they are taken."""
        if self.current is not None and self.current.key == spec.key:
            return True
        self.close()
        if not self.ledger.try_reserve(spec.requirement):
            return False
        limit = self.memory_limit_mib or 2 * spec.requirement.memory_mib
        self.process = ModelProcess(spec, self.cache_dir, limit)
        return True

    def start(self) -> None:
        """Start the model process if it is not running (ModelLoadError if it cannot load)."""
        assert self.process is not None
        if not self.process.alive:
            self.process.start()

    def begin(self, items: Sequence[ItemInput]) -> None:
        """Hand a batch to the model process and return at once (ModelLoadError propagates);
        `finish` collects it, so the caller can do other work while the model computes."""
        assert self.process is not None
        self.process.send(items)

    def finish(
        self, items: Sequence[ItemInput], abort: Callable[[], bool]
    ) -> tuple[list[Outputs | Exception], float]:
        """The outputs of the batch begun last and the model's time in ms; Aborted propagates.

        If the process dies or hangs, it is restarted and the items run one by one, so only
        the item that kills it fails."""
        assert self.process is not None
        try:
            results, compute_ms = self.process.receive(abort)
            return _converted(results), compute_ms
        except ProcessFailure as exc:
            if len(items) == 1:
                return [ItemError(exc.message)], 0.0
            log.warning("%s; running its %d items one by one", exc.message, len(items))
        except BaseException:  # the answer is left unread: never hand it to the next batch
            self.process.stop()
            raise
        began = time.perf_counter()
        alone = [self._alone(item, abort) for item in items]
        return alone, (time.perf_counter() - began) * 1000

    def _alone(self, item: ItemInput, abort: Callable[[], bool]) -> Outputs | Exception:
        assert self.process is not None
        try:
            return _converted(self.process.predict([item], abort))[0]
        except ProcessFailure as exc:
            return ItemError(exc.message)

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.ledger.release(self.process.spec.requirement)
            self.process = None


def _converted(results: list[Result]) -> list[Outputs | Exception]:
    return [ItemError(r.reason) if isinstance(r, ItemFailure) else r for r in results]
