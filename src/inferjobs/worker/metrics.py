"""Prometheus metrics of this process's workers (the API adds database-wide gauges)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Histogram

from inferjobs.domain.status import ItemStatus
from inferjobs.storage.outcomes import Outcome

ITEMS = Counter(
    "inferjobs_items_processed_total",
    "Items finished by this process's workers",
    ["model", "status"],
)
REJECTED = Counter(
    "inferjobs_item_writes_rejected_total",
    "Item outcomes dropped because the claim was lost (canceled, timed out, taken over)",
    ["model"],
)
LATENCY = Histogram(
    "inferjobs_item_latency_seconds",
    "Time from an item's claim to its recorded outcome",
    ["model"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
MODEL_LATENCY = Histogram(
    "inferjobs_model_latency_seconds",
    "Model compute time per item",
    ["model"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30),
)


def observe_batch(model: str, accepted: Sequence[Outcome], rejected: int, now_ms: int) -> None:
    latency, model_latency = LATENCY.labels(model), MODEL_LATENCY.labels(model)
    failed = sum(1 for o in accepted if o.status != ItemStatus.SUCCESSFUL)
    ITEMS.labels(model, "successful").inc(len(accepted) - failed)
    ITEMS.labels(model, "failed").inc(failed)
    for outcome in accepted:
        latency.observe(max(0, now_ms - outcome.started_at) / 1000)
        model_latency.observe(outcome.model_latency_ms / 1000)
    if rejected:
        REJECTED.labels(model).inc(rejected)
