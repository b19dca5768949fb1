"""Load the input values of claimed items for the predictor, checked against the model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from inferjobs.domain import media
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import InferJobsError, ItemError
from inferjobs.predictors.base import ItemInput
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database
from inferjobs.storage.queue import Claim
from inferjobs.storage.tables import item_values, items, jobs
from inferjobs.worker.fetch import Fetcher


@cache
def _values_query() -> Any:
    return (
        select(item_values, jobs.c.explain)
        .join(items, items.c.id == item_values.c.item_id)
        .join(jobs, jobs.c.id == items.c.job_id)
        .where(item_values.c.item_id.in_(bindparam("ids", expanding=True)))
    )


def load(
    db: Database,
    blobs: LocalBlobStore,
    fetcher: Fetcher,
    spec: ModelSpec,
    claims: Sequence[Claim],
) -> dict[int, ItemInput | ItemError]:
    with db.read() as conn:
        rows = conn.execute(_values_query(), {"ids": [c.item_id for c in claims]}).all()
    explain = {row.item_id: row.explain for row in rows}
    jobs_of = {c.item_id: c.job_id for c in claims}
    values: dict[int, dict[str, bytes]] = defaultdict(dict)
    kinds: dict[int, dict[str, str]] = defaultdict(dict)
    broken: dict[int, ItemError] = {}
    for row in rows:
        try:
            data, kind = _value(row, blobs, fetcher, spec, jobs_of[row.item_id])
        except InferJobsError as exc:
            broken.setdefault(row.item_id, ItemError(f"input {row.input_name}: {exc.message}"))
            continue
        values[row.item_id][row.input_name] = data
        kinds[row.item_id][row.input_name] = kind
    loaded: dict[int, ItemInput | ItemError] = {}
    for claim in claims:
        missing = [
            i.name for i in spec.inputs if i.required and i.name not in values[claim.item_id]
        ]
        if claim.item_id in broken:
            loaded[claim.item_id] = broken[claim.item_id]
        elif missing:
            loaded[claim.item_id] = ItemError(f"missing input {', '.join(missing)}")
        else:
            loaded[claim.item_id] = ItemInput(
                claim.name,
                values[claim.item_id],
                kinds[claim.item_id],
                bool(explain.get(claim.item_id)),
            )
    return loaded


def _value(
    row: Any, blobs: LocalBlobStore, fetcher: Fetcher, spec: ModelSpec, job_id: str
) -> tuple[bytes, str]:
    declared = spec.input(row.input_name)
    limit = declared.maximum_size if declared else 0
    if row.ref is not None:
        data = fetcher.get(job_id, row.ref, limit)
        kind = media.detect(data)
    else:
        data = bytes(row.data) if row.blob_key is None else blobs.get(row.blob_key)
        kind = row.media_type
    if declared is None:
        raise ItemError(f"model {spec.key} has no input {row.input_name}")
    if len(data) > limit:
        raise ItemError(f"{len(data)} bytes is over the input's maximum size of {limit} bytes")
    if not media.accepts(declared.accepted_media_types, kind):
        raise ItemError(
            f"media type {kind} is not accepted; expected "
            f"{', '.join(declared.accepted_media_types)}"
        )
    return data, kind
