"""Model processes that raise, crash, hang or leak, under load, on two workers.

Only the items that cause a fault fail, each with its reason; every other item, of the same
batches and of a job running beside them, succeeds exactly once.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import _require_postgres
from tests.reliability import figures
from tests.reliability.fleet import Fleet
from tests.reliability.invariants import assert_sound
from tests.support.databases import fresh_postgres
from tests.support.plugins import plugin_env

# A leak is killed at its memory limit, or at the time limit when the busy machine slows it.
REASONS = {
    "raise": ("ValueError: the model raised on purpose",),
    "crash": ("exited with code 7",),
    "hang": ("longer than 3000 ms",),
    "leak": ("over its limit of 400 MiB", "longer than 3000 ms"),
}
BAD = ["raise", "raise", "crash", "crash", "hang", "leak"]


def _texts(seed: int, good: int) -> dict[str, str]:
    rng = random.Random(seed)
    values = [f"fine {n}" for n in range(good)] + BAD
    rng.shuffle(values)
    return {f"item-{n}": value for n, value in enumerate(values)}


@pytest.mark.postgres
def test_misbehaving_model_under_load(tmp_path: Path) -> None:
    _require_postgres()
    with fresh_postgres() as url:
        fleet = Fleet(tmp_path / "models", url, plugin_env())
        try:
            _scenario(fleet)
        finally:
            fleet.close()


def _scenario(fleet: Fleet) -> None:
    texts = _texts(seed=4, good=90)
    job_id = fleet.submit_texts("misbehave", "0.1.0", texts)
    beside = fleet.submit_texts("echo", "1.0.0", {f"e{n}": str(n) for n in range(300)})
    for _ in range(2):
        fleet.start_worker()
    fleet.wait([job_id, beside], timeout=180)
    tally = assert_sound(fleet.db, [job_id, beside])
    outcome = fleet.http.get(f"/results/{job_id}").json()
    bad = {name: text for name, text in texts.items() if text in REASONS}
    assert set(outcome["failures"]) == set(bad)
    for name, text in bad.items():
        error = outcome["failures"][name]["error"]
        assert any(reason in error for reason in REASONS[text]), (text, error)
    for name, result in outcome["results"].items():
        assert result["results.json"] == {"ok": texts[name]}
    assert fleet.job(beside)["completed"] == 300
    assert all(w.poll() is None for w in fleet.workers), "a worker died with its model"
    figures.record(
        "model process faults under load",
        faults_injected=len(BAD),
        items=tally.items,
        items_failed=len(outcome["failures"]),
        good_items_failed=0,
        items_lost=tally.lost,
        duplicates=tally.duplicates,
    )
