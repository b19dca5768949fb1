"""Expand S3 folders and JDBC queries into items, page by page, under a lease."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from inferjobs.config import Settings
from inferjobs.domain import media
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import InferJobsError
from inferjobs.services.submission import RawItem, RawValue, store_item
from inferjobs.sources import jdbc
from inferjobs.sources.network import HostPolicy
from inferjobs.sources.s3 import S3Store
from inferjobs.sources.secrets import SecretBox
from inferjobs.storage import expansions, job_rows
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database
from inferjobs.storage.job_rows import NewItem, StoredValue
from inferjobs.storage.tables import job_secrets

log = logging.getLogger(__name__)
Page = tuple[list[NewItem], dict[str, Any] | None]  # items, and the next cursor (None: done)


class Expander:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: LocalBlobStore,
        secrets: SecretBox,
        specs: dict[str, ModelSpec],
        worker_id: str,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.secrets = secrets
        self.specs = specs
        self.worker_id = worker_id
        self.lease_ms = int(settings.worker.lease_seconds * 1000)
        self.page_size = settings.sources.page_size

    def run_once(self) -> bool:
        """Expand one job completely (or until the claim is lost); False if none waits."""
        claim = expansions.claim(self.db, self.worker_id, self.lease_ms)
        if claim is None:
            return False
        try:
            self._expand(claim)
        except InferJobsError as exc:
            log.info("expansion of job %s failed: %s", claim.job_id, exc.message)
            expansions.finish(self.db, claim, self.worker_id, exc.message)
        except Exception as exc:  # a source's client library failing in an unexpected way
            log.exception("expansion of job %s failed", claim.job_id)
            expansions.finish(
                self.db, claim, self.worker_id, f"listing the source failed: {type(exc).__name__}"
            )
        return True

    def _expand(self, claim: expansions.Expansion) -> None:
        with self.db.read() as conn:
            job = job_rows.load_job(conn, claim.job_id)
            sealed = conn.execute(
                select(job_secrets.c.payload).where(job_secrets.c.job_id == claim.job_id)
            ).scalar()
        if job is None or sealed is None:
            return  # the job ended meanwhile (canceled): end_job closed the expansion
        config = self.secrets.open(sealed)
        spec = self.specs.get(f"{job.model_id}:{job.model_version}")
        if spec is None:
            raise InferJobsError(
                f"model {job.model_id} {job.model_version} is not installed "
                "on the worker that expands this job"
            )
        pages = (
            self._folder_pages(config, claim.cursor)
            if claim.cursor["kind"] == "aws-s3-folder"
            else self._jdbc_pages(config, claim, spec)
        )
        current: expansions.Expansion | None = claim
        for new_items, cursor in pages:
            assert current is not None
            current = expansions.save_page(
                self.db,
                current,
                self.worker_id,
                self.lease_ms,
                cursor or current.cursor,
                new_items,
                job,
            )
            if current is None:
                log.info("expansion of %s was taken over or ended", claim.job_id)
                return
            if cursor is None:
                break
        if current is not None:
            expansions.finish(self.db, current, self.worker_id, None)

    # ---- S3 folders -----------------------------------------------------------------------
    def _folder_pages(self, config: dict[str, Any], cursor: dict[str, Any]) -> Iterator[Page]:
        store = S3Store(config)
        while cursor["folder"] < len(cursor["folders"]):
            new_items, cursor = self._folder_page(store, cursor)
            done = cursor["folder"] >= len(cursor["folders"])
            yield new_items, None if done else cursor
            if done:
                return

    def _folder_page(
        self, store: S3Store, cursor: dict[str, Any]
    ) -> tuple[list[NewItem], dict[str, Any]]:
        """One page of objects, paired across the model's inputs by their path below each
        input's prefix. Only paths up to the shortest listing's end are complete."""
        folder = cursor["folders"][cursor["folder"]]
        listed: dict[str, set[str]] = {}
        frontier: str | None = None
        for input_name, ref in folder["inputs"].items():
            keys, more = store.list_page(ref["bucket"], ref["key"], cursor["after"], self.page_size)
            paths = [k[len(ref["key"]) :] for k in keys]
            listed[input_name] = set(paths)
            if more and paths and (frontier is None or paths[-1] < frontier):
                frontier = paths[-1]
        paths = sorted(set().union(*listed.values()))
        if frontier is not None:
            paths = [p for p in paths if p <= frontier]
        new_items = [
            NewItem(
                f"{folder['name']}/{path}",
                [
                    StoredValue(
                        name,
                        media.OCTET_STREAM,
                        0,
                        None,
                        None,
                        {"bucket": ref["bucket"], "key": ref["key"] + path},
                    )
                    for name, ref in folder["inputs"].items()
                    if path in listed[name]
                ],
            )
            for path in paths
        ]
        if frontier is None:
            return new_items, {**cursor, "folder": cursor["folder"] + 1, "after": ""}
        return new_items, {**cursor, "after": frontier}

    # ---- JDBC queries ---------------------------------------------------------------------
    def _jdbc_pages(
        self, config: dict[str, Any], claim: expansions.Expansion, spec: ModelSpec
    ) -> Iterator[Page]:
        sources = self.settings.sources
        query = jdbc.Query(
            config,
            HostPolicy.parse(sources.allowed_hosts),
            sources.sqlite_dir,
            sources.statement_timeout_ms,
        )
        inputs = {i.name for i in spec.inputs}
        number = claim.items_added  # rows already queued by an earlier, interrupted expansion
        page: list[NewItem] = []
        try:
            for row in query.rows(skip=number):
                page.append(self._row_item(claim.job_id, number, row, inputs))
                number += 1
                if len(page) >= self.page_size:
                    yield page, claim.cursor
                    page = []
        except InferJobsError:
            raise
        except Exception as exc:
            raise InferJobsError(jdbc.describe(exc)) from None
        finally:
            query.close()
        yield page, None

    def _row_item(self, job_id: str, number: int, row: dict[str, Any], inputs: set[str]) -> NewItem:
        values = []
        for column, value in row.items():
            if column not in inputs or value is None:
                continue
            data = value if isinstance(value, bytes | bytearray | memoryview) else str(value)
            raw = bytes(data) if not isinstance(data, str) else data.encode("utf-8")
            values.append(RawValue(column, raw, media.detect(raw)))
        return store_item(
            self.blobs,
            self.settings.inline_value_max_bytes,
            job_id,
            RawItem(str(number), tuple(values)),
        )
