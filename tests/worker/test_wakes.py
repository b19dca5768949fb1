"""Which slots a wake reaches: one without a batch, else every busy one (unit test of the
Worker's choice; the end-to-end behaviour is in test_worker_processes.py)."""

from __future__ import annotations

from pathlib import Path

from inferjobs.worker.worker import Worker
from tests.support.runtime import runtime_for


def _awake(worker: Worker) -> list[bool]:
    woken = [slot.awake.is_set() for slot in worker.slots]
    for slot in worker.slots:
        slot.awake.clear()
    return woken


def test_a_wake_reaches_one_free_slot_or_every_busy_one(tmp_path: Path) -> None:
    with runtime_for(f"sqlite:///{tmp_path / 'w.db'}", tmp_path) as rt:
        worker = Worker(rt.settings, rt.db, rt.blobs, rt.installed, slots=3)
        first, second, third = worker.slots
        worker.wake()
        assert _awake(worker) == [True, False, False]
        worker.wake(besides=first)  # a slot that claimed a full batch wakes another
        assert _awake(worker) == [False, True, False]
        first._computing = second._computing = True
        worker.wake()
        assert _awake(worker) == [False, False, True]
        third._computing = True
        worker.wake(besides=third)  # all busy: each looks again when its batch allows
        assert _awake(worker) == [True, True, False]
