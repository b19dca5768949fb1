"""Database-wide gauges for /metrics, computed at scrape time from the shared state."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from inferjobs.domain.status import ItemStatus
from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, jobs


class QueueCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        by_status = GaugeMetricFamily(
            "inferjobs_jobs", "Jobs in the database by status", labels=["status"]
        )
        depth = GaugeMetricFamily(
            "inferjobs_queue_depth",
            "Items waiting or running, by model version and state",
            labels=["model", "state"],
        )
        with self.db.read() as conn:
            for status, count in conn.execute(
                select(jobs.c.status, func.count()).group_by(jobs.c.status)
            ):
                by_status.add_metric([status], count)
            for model, status, count in conn.execute(
                select(items.c.model_key, items.c.status, func.count())
                .where(items.c.status.in_((ItemStatus.PENDING, ItemStatus.RUNNING)))
                .group_by(items.c.model_key, items.c.status)
            ):
                depth.add_metric([model, status], count)
        yield by_status
        yield depth


def registry_for(db: Database) -> CollectorRegistry:
    """The process's default metrics (counters, histograms) plus this database's gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Default())
    registry.register(QueueCollector(db))
    return registry


class _Default(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
