"""The submit path on SQLite and PostgreSQL: the per-account queued-items bound, chunked
inserts, item names given twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from inferjobs.domain.status import JobStatus
from inferjobs.errors import BadRequest, TooManyRequests
from inferjobs.runtime import Runtime
from inferjobs.services import submission
from inferjobs.services.keys import Principal
from inferjobs.storage import job_rows, outcomes
from inferjobs.storage.job_rows import NewItem, StoredValue
from inferjobs.storage.tables import item_values, items
from tests.support.runtime import principal, runtime_for, text_job


def _submit(rt: Runtime, who: Principal, count: int, tag: str) -> str:
    body = text_job("echo", "1.0.0", {f"{tag}{n}": f"text {n}" for n in range(count)})
    return str(rt.jobs.submit(who, body)["jobIdentifier"])


def _bound(rt: Runtime, account_id: str) -> Any:
    with rt.db.read() as conn:
        query = text("SELECT queued_bound FROM accounts WHERE id = :id")
        return conn.execute(query, {"id": account_id}).scalar_one()


def test_the_limit_is_counted_only_past_the_bound(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        rt.settings.api.max_queued_items_per_account = 10
        who = principal(rt)
        first = _submit(rt, who, 4, "a")
        assert _bound(rt, who.account_id) == 4  # unknown before: counted, then kept
        _submit(rt, who, 4, "b")
        assert _bound(rt, who.account_id) == 8
        with pytest.raises(TooManyRequests, match="8 items queued") as refused:
            _submit(rt, who, 3, "c")
        assert refused.value.retry_after == 30
        assert _bound(rt, who.account_id) == 8  # the refused submit left nothing behind
        with rt.db.write() as conn:
            outcomes.end_job(conn, first, JobStatus.CANCELED, None)
        assert _bound(rt, who.account_id) == 8  # ending jobs leaves the bound high...
        _submit(rt, who, 3, "d")  # ...so the next submit past it counts: 4 + 3
        assert _bound(rt, who.account_id) == 7
        _submit(rt, who, 3, "e")  # exactly at the limit, within the bound: not counted
        assert _bound(rt, who.account_id) == 10
        with pytest.raises(TooManyRequests):
            _submit(rt, who, 1, "f")


def test_a_lost_bound_is_counted_again(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        rt.settings.api.max_queued_items_per_account = 100
        who = principal(rt)
        _submit(rt, who, 5, "a")
        with rt.db.write() as conn:  # as after the migration that added the column
            conn.execute(text("UPDATE accounts SET queued_bound = NULL"))
        _submit(rt, who, 2, "b")
        assert _bound(rt, who.account_id) == 7


def test_every_enqueue_raises_the_bound(database_url: str, tmp_path: Path) -> None:
    """Expansions queue their pages through enqueue_items: the bound counts them too."""
    with runtime_for(database_url, tmp_path) as rt:
        rt.settings.api.max_queued_items_per_account = 100
        who = principal(rt)
        job_id = _submit(rt, who, 1, "a")
        page = [
            NewItem(f"p{n}", [StoredValue("input.txt", "text/plain", 1, b"x", None)])
            for n in range(3)
        ]
        with rt.db.write() as conn:
            job_rows.enqueue_items(conn, job_id, who.account_id, "echo:1.0.0", 0, page)
        assert _bound(rt, who.account_id) == 4


def test_a_large_job_is_inserted_in_chunks_in_rank_order(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_rows, "CHUNK_ITEMS", 3)
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        body = text_job("echo", "1.0.0", {f"i{n}": f"t{n}" for n in range(10)})
        answer = rt.jobs.submit(who, submission.parse_body(json.dumps(body).encode()))
        assert answer["totalInputs"] == 10
        assert answer["jobInputs"]["identifier"] == [f"i{n}" for n in range(10)]
        query = (
            items.join(item_values, item_values.c.item_id == items.c.id)
            .select()
            .with_only_columns(items.c.name, items.c.fair_rank, item_values.c.data)
            .order_by(items.c.id)
        )
        with rt.db.read() as conn:
            rows = conn.execute(query).all()
        assert [(r.name, r.data) for r in rows] == [(f"i{n}", b"t%d" % n) for n in range(10)]
        ranks = [r.fair_rank for r in rows]
        assert ranks == list(range(ranks[0], ranks[0] + 10))


def test_an_item_named_twice_is_a_400_and_nothing_is_queued(
    database_url: str, tmp_path: Path
) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        body = submission.parse_body(
            b'{"model": {"identifier": "echo", "version": "1.0.0"}, "input": {"type": "text",'
            b' "sources": {"a": {"input.txt": "x"}, "a": {"input.txt": "y"}}}}'
        )
        with pytest.raises(BadRequest, match="appears more than once"):
            rt.jobs.submit(who, body)
        with rt.db.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM jobs")).scalar_one() == 0
