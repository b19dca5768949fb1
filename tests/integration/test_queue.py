"""The queue on SQLite and PostgreSQL: claims, leases, fencing, priority, fairness."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select, update

from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.storage import outcomes, queue
from inferjobs.storage.tables import items, jobs, results
from tests.support.runtime import principal, runtime_for, text_job

ECHO = "echo:1.0.0"


def _submit(runtime, who, count: int, prefix: str = "i") -> str:  # type: ignore[no-untyped-def]
    body = text_job("echo", "1.0.0", {f"{prefix}{n}": f"text {n}" for n in range(count)})
    return str(runtime.jobs.submit(who, body)["jobIdentifier"])


def test_concurrent_claims_take_each_item_once(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        _submit(rt, who, 300)
        taken: list[int] = []
        lock = threading.Lock()

        def claimer(name: str) -> None:
            while batch := queue.claim(rt.db, name, ECHO, 7, 30_000):
                with lock:
                    taken.extend(c.item_id for c in batch)

        threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(taken) == 300
        assert len(set(taken)) == 300


def test_expired_lease_is_requeued_and_the_stale_write_rejected(
    database_url: str, tmp_path: Path
) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        job_id = _submit(rt, who, 1)
        [stale] = queue.claim(rt.db, "dead-worker", ECHO, 1, 30_000)
        with rt.db.write() as conn:  # the dead worker's lease runs out
            conn.execute(update(items).values(lease_expires_at=0))
        assert queue.requeue_expired(rt.db, max_attempts=3) == 1
        [fresh] = queue.claim(rt.db, "live-worker", ECHO, 1, 30_000)
        assert fresh.item_id == stale.item_id and fresh.fence == stale.fence + 1
        late = outcomes.Outcome(stale, ItemStatus.SUCCESSFUL, outputs={"results.json": 1})
        assert outcomes.record(rt.db, [late], "dead-worker") == []
        good = outcomes.Outcome(fresh, ItemStatus.SUCCESSFUL, outputs={"results.json": 2})
        assert outcomes.record(rt.db, [good], "live-worker") == [good]
        with rt.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(results)).scalar_one() == 1
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).one()
        assert (row.status, row.completed, row.failed) == (JobStatus.COMPLETED, 1, 0)


def test_heartbeat_extends_only_held_items(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        job_id = _submit(rt, who, 2)
        claims = queue.claim(rt.db, "w", ECHO, 2, 1_000)
        assert queue.extend(rt.db, "w", claims, 60_000) == {c.item_id for c in claims}
        rt.jobs.cancel(who, job_id)
        assert queue.extend(rt.db, "w", claims, 60_000) == set()


def test_cancel_drops_pending_and_rejects_running_writes(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        job_id = _submit(rt, who, 5)
        running = queue.claim(rt.db, "w", ECHO, 2, 30_000)
        job = rt.jobs.cancel(who, job_id)
        assert job["status"] == "CANCELED"
        assert job["canceled"] == 5 and job["pending"] == 0
        assert queue.claim(rt.db, "w", ECHO, 10, 30_000) == []
        done = [outcomes.Outcome(c, ItemStatus.SUCCESSFUL, outputs={}) for c in running]
        assert outcomes.record(rt.db, done, "w") == []


def test_high_priority_first_then_fair_across_accounts(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        big = principal(rt, "big", account="a")
        small = principal(rt, "small", account="b")
        vip = principal(rt, "vip", account="c", high_priority=True)
        big_job = _submit(rt, big, 50, "big")
        small_job = _submit(rt, small, 3, "small")
        vip_job = _submit(rt, vip, 2, "vip")
        first = [c.job_id for c in queue.claim(rt.db, "w", ECHO, 2, 30_000)]
        assert first == [vip_job, vip_job]
        # The small account's items come right after the queue head, not after 50 big items.
        following = [c.job_id for c in queue.claim(rt.db, "w", ECHO, 8, 30_000)]
        assert following.count(small_job) == 3
        assert following.count(big_job) == 5


def test_job_timeout_ends_the_job_as_timedout(database_url: str, tmp_path: Path) -> None:
    from inferjobs.worker import janitor

    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        body = text_job("echo", "1.0.0", {"a": "x", "b": "y"}, timeout=1)
        job_id = rt.jobs.submit(who, body)["jobIdentifier"]
        time.sleep(0.01)
        janitor.sweep(rt.db, max_attempts=3)
        job = rt.jobs.get(who, job_id)
        assert job["status"] == "TIMEDOUT"
        assert job["timeout"] == 1
        assert queue.claim(rt.db, "w", ECHO, 10, 30_000) == []


def test_items_abandoned_too_often_fail_with_a_reason(database_url: str, tmp_path: Path) -> None:
    from inferjobs.worker import janitor

    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        job_id = _submit(rt, who, 1)
        for _ in range(2):
            queue.claim(rt.db, "crashy", ECHO, 1, 30_000)
            with rt.db.write() as conn:
                conn.execute(update(items).values(lease_expires_at=0))
            janitor.sweep(rt.db, max_attempts=2)
        job = rt.jobs.get(who, job_id)
        assert (job["status"], job["failed"]) == ("COMPLETED", 1)
        with rt.db.read() as conn:
            error = conn.execute(select(results.c.error)).scalar_one()
        assert "abandoned" in error


def test_concurrent_submits_of_one_account_do_not_deadlock(
    database_url: str, tmp_path: Path
) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        errors: list[BaseException] = []

        start = threading.Barrier(8)

        def submitter(n: int) -> None:
            try:
                start.wait()
                for k in range(15):
                    _submit(rt, who, 2, f"t{n}-{k}-")
            except BaseException as exc:  # collected: a deadlock would surface here
                errors.append(exc)

        threads = [threading.Thread(target=submitter, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with rt.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(items)).scalar_one() == 240
            ranks = conn.execute(select(items.c.fair_rank)).scalars().all()
        assert len(set(ranks)) == 240, "fair ranks of one account never collide"


def test_one_batch_across_jobs_updates_each_job(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        job_ids = [_submit(rt, who, 2, f"j{n}-") for n in range(3)]
        claims = queue.claim(rt.db, "w", ECHO, 10, 30_000)
        assert {c.job_id for c in claims} == set(job_ids)
        batch = [
            outcomes.Outcome(
                c,
                ItemStatus.FAILED if c.name.endswith("0") else ItemStatus.SUCCESSFUL,
                outputs={},
                error="x",
            )
            for c in claims
        ]
        assert len(outcomes.record(rt.db, batch, "w")) == 6
        for job_id in job_ids:
            job = rt.jobs.get(who, job_id)
            assert (job["status"], job["completed"], job["failed"]) == ("COMPLETED", 1, 1)
