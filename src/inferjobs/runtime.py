"""Wire the parts together from Settings: database, blobs, catalogue, services, workers."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from inferjobs.config import Settings
from inferjobs.predictors.registry import Installed, discover
from inferjobs.services import catalog as catalog_sync
from inferjobs.services.catalog import Catalog
from inferjobs.services.jobs import JobService
from inferjobs.services.keys import KeyService
from inferjobs.storage import migrate
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database
from inferjobs.worker.worker import Worker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    blobs: LocalBlobStore
    catalog: Catalog
    keys: KeyService
    jobs: JobService
    installed: dict[str, Installed]
    workers: list[Worker] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        db = Database.from_settings(settings)
        blobs = LocalBlobStore(settings.blob_dir)
        catalog = Catalog(db, hide_diagnostic=settings.hide_diagnostic_models)
        installed = discover(include_diagnostic=not settings.hide_diagnostic_models)
        runtime = cls(
            settings,
            db,
            blobs,
            catalog,
            KeyService(db),
            JobService(settings, db, blobs, catalog),
            installed,
        )
        runtime.jobs.on_enqueue = runtime.wake_workers
        return runtime

    def prepare(self) -> None:
        """Migrate the schema and register the installed models (idempotent)."""
        migrate.upgrade(self.db)
        catalog_sync.sync(self.db, [i.spec for i in self.installed.values()])
        self.catalog.invalidate()

    def start_workers(self, slots: int | None) -> None:
        """Run an in-process worker with `slots` concurrent batches (None: from settings)."""
        worker = Worker(self.settings, self.db, self.blobs, self.installed, slots=slots)
        thread = threading.Thread(target=worker.run, name="worker", daemon=True)
        self.workers.append(worker)
        self._threads.append(thread)
        thread.start()
        log.info(
            "started an in-process worker with %d slots serving %s",
            len(worker.slots),
            ", ".join(worker.served),
        )

    def wake_workers(self) -> None:
        for worker in self.workers:
            worker.wake()

    def stop_workers(self, grace_seconds: float) -> None:
        """Stop claiming; wait for running batches; release what is still unfinished."""
        for worker in self.workers:
            worker.stop()
        for thread in self._threads:
            thread.join(grace_seconds + 5)
        self.workers.clear()
        self._threads.clear()

    def close(self) -> None:
        self.db.dispose()
