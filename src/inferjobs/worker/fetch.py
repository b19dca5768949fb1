"""Fetch items' values from their job's external source (S3, Azure) in the worker."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping

from sqlalchemy import select

from inferjobs.errors import ItemError
from inferjobs.sources.azure import AzureStore
from inferjobs.sources.s3 import S3Store
from inferjobs.sources.secrets import SecretBox
from inferjobs.sources.stores import open_store
from inferjobs.storage.db import Database
from inferjobs.storage.tables import job_secrets

Store = S3Store | AzureStore


class Fetcher:
    """Opens each job's store once (credentials decrypted in memory only) and reuses it."""

    def __init__(self, db: Database, secrets: SecretBox, keep: int = 16) -> None:
        self.db = db
        self.secrets = secrets
        self.keep = keep
        self._stores: OrderedDict[str, Store] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_id: str, ref: Mapping[str, str], limit: int) -> bytes:
        return self._store(job_id).get(ref, limit)

    def _store(self, job_id: str) -> Store:
        with self._lock:
            if job_id in self._stores:
                self._stores.move_to_end(job_id)
                return self._stores[job_id]
        with self.db.read() as conn:
            sealed = conn.execute(
                select(job_secrets.c.payload).where(job_secrets.c.job_id == job_id)
            ).scalar()
        if sealed is None:
            raise ItemError("the job's source credentials are gone: the job has ended")
        store = open_store(self.secrets.open(sealed))
        with self._lock:
            self._stores[job_id] = store
            while len(self._stores) > self.keep:
                self._stores.popitem(last=False)
        return store
