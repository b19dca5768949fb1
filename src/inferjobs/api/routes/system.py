"""Liveness, readiness and Prometheus metrics (no API key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from inferjobs.api.deps import RuntimeDep
from inferjobs.errors import ServiceUnavailable

router = APIRouter(tags=["system"])


@router.get("/api/health")
async def health() -> dict[str, Any]:
    """Liveness: the process answers. Never touches the database or a model."""
    return {"status": "ok"}


@router.get("/api/ready")
def ready(runtime: RuntimeDep) -> dict[str, Any]:
    """Readiness: the database answers (a cheap SELECT 1, never model work)."""
    try:
        runtime.db.ping()
    except Exception as exc:
        raise ServiceUnavailable("not ready: the database does not answer") from exc
    return {"status": "ready", "inProcessWorkers": len(runtime.workers)}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
