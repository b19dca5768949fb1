"""Load the input values of claimed items for the predictor."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from inferjobs.errors import ItemError
from inferjobs.predictors.base import ItemInput
from inferjobs.storage.blobs import BlobError, LocalBlobStore
from inferjobs.storage.db import Database
from inferjobs.storage.queue import Claim
from inferjobs.storage.tables import item_values, items, jobs


def load(
    db: Database, blobs: LocalBlobStore, claims: Sequence[Claim]
) -> dict[int, ItemInput | ItemError]:
    ids = [c.item_id for c in claims]
    values_query = select(item_values).where(item_values.c.item_id.in_(ids))
    explain_query = (
        select(items.c.id, jobs.c.explain)
        .join(jobs, jobs.c.id == items.c.job_id)
        .where(items.c.id.in_(ids))
    )
    with db.read() as conn:
        rows = conn.execute(values_query).all()
        explain = dict(conn.execute(explain_query).tuples().all())
    values: dict[int, dict[str, bytes]] = defaultdict(dict)
    kinds: dict[int, dict[str, str]] = defaultdict(dict)
    broken: dict[int, ItemError] = {}
    for row in rows:
        try:
            data = row.data if row.blob_key is None else blobs.get(row.blob_key)
        except BlobError as exc:
            broken[row.item_id] = ItemError(f"input {row.input_name} could not be read: {exc}")
            continue
        values[row.item_id][row.input_name] = bytes(data or b"")
        kinds[row.item_id][row.input_name] = row.media_type
    return {
        c.item_id: broken.get(c.item_id)
        or ItemInput(c.name, values[c.item_id], kinds[c.item_id], bool(explain.get(c.item_id)))
        for c in claims
    }
