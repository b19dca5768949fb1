"""/api/models and the processing-engine routes the SDK reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from inferjobs.api import openapi
from inferjobs.api.deps import Caller, RuntimeDep
from inferjobs.errors import BadRequest, NotFound
from inferjobs.services import model_wire
from inferjobs.services.history import page_number, page_size
from inferjobs.services.workers import (
    LiveWorker,
    live_worker_counts,
    live_workers,
    waiting_reason,
)

router = APIRouter(prefix="/api", tags=["models"])
_SORTABLE = ("modelId", "name", "author", "latestVersion", "lastActiveDateTime")


def _all_models(runtime: Any) -> list[dict[str, Any]]:
    return [
        model_wire.model_details(runtime.catalog.versions_of(m))
        for m in runtime.catalog.model_ids()
    ]


@router.get("/models", openapi_extra=openapi.MODELS)
def list_models(request: Request, runtime: RuntimeDep, who: Caller) -> list[dict[str, Any]]:
    params = request.query_params
    found = model_wire.filter_models(_all_models(runtime), params)
    sort_by = params.get("sort-by") or "modelId"
    if sort_by not in _SORTABLE:
        raise BadRequest(f"sort-by: expected one of {', '.join(_SORTABLE)}; got {sort_by!r}")
    direction = (params.get("direction") or "ASC").upper()
    if direction not in ("ASC", "DESC"):
        raise BadRequest(f"direction: expected ASC or DESC; got {direction!r}")
    found.sort(key=lambda m: str(m.get(sort_by) or ""), reverse=direction == "DESC")
    page = page_number(params.get("page"))
    per_page = page_size(params.get("per-page"), 1000)
    start = (page - 1) * per_page
    live = live_workers(runtime.db, runtime.settings.worker.lease_seconds)
    return [_summary(runtime, m, live) for m in found[start : start + per_page]]


def _summary(runtime: Any, model: dict[str, Any], live: list[LiveWorker]) -> dict[str, Any]:
    summary = model_wire.summary(model)
    spec = runtime.catalog.get(model["modelId"], model["latestVersion"]).spec
    summary["liveWorkers"] = sum(spec.key in w.models for w in live)
    summary["unavailableReason"] = waiting_reason(spec, live)
    return summary


@router.get("/models/tags")
def tags(runtime: RuntimeDep, who: Caller) -> list[dict[str, Any]]:
    names = sorted({t["name"] for m in _all_models(runtime) for t in m["tags"]})
    return [model_wire.tag(name) for name in names]


@router.get("/models/tags/{tag_ids}")
def tagged_models(tag_ids: str, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    wanted = {t.strip() for t in tag_ids.split(",") if t.strip()}
    found = [m for m in _all_models(runtime) if wanted & {t["name"] for t in m["tags"]}]
    return {"tags": [model_wire.tag(t) for t in sorted(wanted)], "models": found}


@router.get("/models/requirements/account")
def account_requirements(runtime: RuntimeDep, who: Caller) -> list[dict[str, Any]]:
    return [
        {
            "requirementId": 1,
            "name": "CPU",
            "status": "ACTIVE",
            "cpuAmount": "1000m",
            "memoryAmount": "2Gi",
            "gpuUnits": 0,
        },
    ]


@router.get("/models/processing-engines")
def minimum_engines(runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    total = sum(
        int(r.processing.get("minimumParallelCapacity", 0))
        for r in runtime.catalog.versions().values()
    )
    return {"minimumProcessingEnginesSum": total}


@router.get("/resources/processing/engines")
async def engines(runtime: RuntimeDep, who: Caller) -> list[dict[str, Any]]:
    return await run_in_threadpool(_engines, runtime)


def _engines(runtime: Any) -> list[dict[str, Any]]:
    counts = live_worker_counts(runtime.db, runtime.settings.worker.lease_seconds)
    out = []
    for key, record in sorted(runtime.catalog.versions().items()):
        running = counts.get(key, 0)
        out.append(
            {
                "identifier": record.spec.identifier,
                "version": record.spec.version,
                "ready": running,
                "running": running,
                "failed": 0,
                "queued": 0,
                "spinningUp": 0,
                "spinningDown": 0,
            }
        )
    return out


@router.get("/models/{model_id}")
def get_model(model_id: str, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    return model_wire.model_details(runtime.catalog.versions_of(model_id))


@router.get("/models/{model_id}/related-models")
def related(model_id: str, runtime: RuntimeDep, who: Caller) -> list[dict[str, Any]]:
    mine = set(runtime.catalog.versions_of(model_id)[-1].spec.tags)
    return [
        m
        for m in _all_models(runtime)
        if m["modelId"] != model_id and mine & {t["name"] for t in m["tags"]}
    ]


@router.get("/models/{model_id}/versions")
def versions(model_id: str, runtime: RuntimeDep, who: Caller) -> list[dict[str, Any]]:
    records = runtime.catalog.versions_of(model_id)
    return [model_wire.version(r, records) for r in records]


@router.get("/models/{model_id}/versions/{version}")
def get_version(model_id: str, version: str, runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    return _version(runtime, model_id, version)


def _version(runtime: Any, model_id: str, version: str) -> dict[str, Any]:
    record = runtime.catalog.get(model_id, version)
    return model_wire.version(record, runtime.catalog.versions_of(model_id))


@router.patch("/models/{model_id}/versions/{version}", openapi_extra=openapi.JSON_OBJECT)
async def patch_version(
    model_id: str, version: str, request: Request, runtime: RuntimeDep, who: Caller
) -> dict[str, Any]:
    body = await _object(request)
    processing = body.get("processing")
    if processing is not None:
        await run_in_threadpool(_set_processing, runtime, who, model_id, version, processing)
    return await run_in_threadpool(_version, runtime, model_id, version)


@router.patch("/models/{model_id}/versions/{version}/processing", openapi_extra=openapi.JSON_OBJECT)
async def patch_processing(
    model_id: str, version: str, request: Request, runtime: RuntimeDep, who: Caller
) -> dict[str, Any]:
    body = await _object(request)
    await run_in_threadpool(_set_processing, runtime, who, model_id, version, body)
    return await run_in_threadpool(_version, runtime, model_id, version)


async def _object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _set_processing(runtime: Any, who: Any, model_id: str, version: str, processing: Any) -> None:
    if not who.is_admin:
        raise NotFound(f"model {model_id} version {version} cannot be changed with this key")
    if not isinstance(processing, dict):
        raise BadRequest("processing: expected an object")
    values = {}
    for name in ("minimumParallelCapacity", "maximumParallelCapacity"):
        value = processing.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadRequest(f"processing.{name}: expected a whole number from 0")
        values[name] = value
    runtime.catalog.set_processing(model_id, version, values)


@router.get("/models/{model_id}/versions/{version}/sample-input")
def sample_input(model_id: str, version: str, runtime: RuntimeDep, who: Caller) -> Any:
    return runtime.catalog.get(model_id, version).spec.sample_input


@router.get("/models/{model_id}/versions/{version}/sample-output")
def sample_output(model_id: str, version: str, runtime: RuntimeDep, who: Caller) -> Any:
    return runtime.catalog.get(model_id, version).spec.sample_output
