"""The model catalogue: installed predictors are synced into the database; the API reads it."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, insert, select, update

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec, Requirement, model_key
from inferjobs.errors import NotFound
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import model_versions, models


def spec_to_json(spec: ModelSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def spec_from_json(data: dict[str, Any]) -> ModelSpec:
    fields = dict(data)
    fields["inputs"] = tuple(
        InputSpec(**{**i, "accepted_media_types": tuple(i["accepted_media_types"])})
        for i in data["inputs"]
    )
    fields["outputs"] = tuple(OutputSpec(**o) for o in data["outputs"])
    fields["requirement"] = Requirement(**data["requirement"])
    fields["tags"] = tuple(data["tags"])
    known = {f.name for f in dataclasses.fields(ModelSpec)}
    return ModelSpec(**{k: v for k, v in fields.items() if k in known})


def version_sort_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-+]", version))


def sync(db: Database, specs: Iterable[ModelSpec]) -> None:
    """Register the installed model versions (idempotent; safe from many processes)."""
    now = now_ms()
    with db.write() as conn:
        for spec in specs:
            _upsert_model(conn, spec, now)
            _upsert_version(conn, spec, now)


def _upsert_model(conn: Connection, spec: ModelSpec, now: int) -> None:
    values = {
        "name": spec.name,
        "description": spec.description,
        "author": spec.author,
        "tags": list(spec.tags),
        "is_active": True,
        "updated_at": now,
    }
    exists = conn.execute(select(models.c.id).where(models.c.id == spec.identifier)).first()
    if exists:
        conn.execute(update(models).where(models.c.id == spec.identifier).values(**values))
    else:
        conn.execute(insert(models).values(id=spec.identifier, created_at=now, **values))


def _upsert_version(conn: Connection, spec: ModelSpec, now: int) -> None:
    where = (model_versions.c.model_id == spec.identifier, model_versions.c.version == spec.version)
    exists = conn.execute(select(model_versions.c.version).where(*where)).first()
    values = {"spec": spec_to_json(spec), "is_installed": True, "updated_at": now}
    if exists:
        conn.execute(update(model_versions).where(*where).values(**values))
    else:
        conn.execute(
            insert(model_versions).values(
                model_id=spec.identifier,
                version=spec.version,
                created_at=now,
                processing={"minimumParallelCapacity": 0, "maximumParallelCapacity": 1},
                **values,
            )
        )


@dataclasses.dataclass(frozen=True)
class VersionRecord:
    spec: ModelSpec
    processing: dict[str, Any]
    created_at: int
    updated_at: int


class Catalog:
    """Read access to registered models, cached for a few seconds per process."""

    def __init__(self, db: Database, *, ttl_seconds: float = 5.0, hide_diagnostic: bool = False):
        self.db = db
        self.ttl = ttl_seconds
        self.hide_diagnostic = hide_diagnostic
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._versions: dict[str, VersionRecord] = {}

    def versions(self) -> dict[str, VersionRecord]:
        with self._lock:
            if time.monotonic() - self._loaded_at > self.ttl:
                self._versions = self._load()
                self._loaded_at = time.monotonic()
            return self._versions

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = 0.0

    def _load(self) -> dict[str, VersionRecord]:
        query = select(
            model_versions.c.spec,
            model_versions.c.processing,
            model_versions.c.created_at,
            model_versions.c.updated_at,
        ).where(model_versions.c.is_installed.is_(True))
        with self.db.read() as conn:
            records = [
                VersionRecord(
                    spec_from_json(row.spec), row.processing, row.created_at, row.updated_at
                )
                for row in conn.execute(query)
            ]
        return {r.spec.key: r for r in records if not (self.hide_diagnostic and r.spec.diagnostic)}

    def model_ids(self) -> list[str]:
        return sorted({r.spec.identifier for r in self.versions().values()})

    def versions_of(self, identifier: str) -> list[VersionRecord]:
        found = [r for r in self.versions().values() if r.spec.identifier == identifier]
        if not found:
            raise NotFound(f"model {identifier} not found")
        return sorted(found, key=lambda r: version_sort_key(r.spec.version))

    def get(self, identifier: str, version: str) -> VersionRecord:
        record = self.versions().get(model_key(identifier, version))
        if record is None:
            known = [r.spec.version for r in self.versions_of(identifier)]
            raise NotFound(
                f"model {identifier} has no version {version}; versions: {', '.join(known)}"
            )
        return record

    def set_processing(self, identifier: str, version: str, processing: dict[str, Any]) -> None:
        self.get(identifier, version)
        with self.db.write() as conn:
            conn.execute(
                update(model_versions)
                .where(model_versions.c.model_id == identifier, model_versions.c.version == version)
                .values(processing=processing, updated_at=now_ms())
            )
        self.invalidate()
