"""/api/results: a job's results and raw output contents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from inferjobs.api.deps import Caller, RuntimeDep, base_url
from inferjobs.services import results as results_service

router = APIRouter(prefix="/api/results", tags=["results"])


@router.get("/{job_id}", response_class=StreamingResponse)
def get_results(job_id: str, request: Request, runtime: RuntimeDep, who: Caller) -> Response:
    """`finished`, counts, timing, and `results` / `failures` keyed by item name: a small
    job's in one read transaction, a large job's streamed."""
    url = base_url(request, runtime)
    with runtime.db.read_scope():
        job = runtime.jobs.visible(who, job_id)
        results_service.ensure_kept(job)
        if job.total <= results_service.STREAM_ABOVE_ITEMS:
            body = results_service.whole(runtime.db, job, url)
            return Response(body, media_type="application/json")
    body_parts = results_service.stream(runtime.db, job, url)
    return StreamingResponse(body_parts, media_type="application/json")


@router.get("/{job_id}/datasource/{item}/output/{output}")
def output_by_datasource(
    job_id: str, item: str, output: str, runtime: RuntimeDep, who: Caller
) -> Response:
    return _output(runtime, who, job_id, item, output)


@router.get("/{job_id}/{item}/{output}")
def output_file(job_id: str, item: str, output: str, runtime: RuntimeDep, who: Caller) -> Response:
    return _output(runtime, who, job_id, item, output)


def _output(runtime: Any, who: Any, job_id: str, item: str, output: str) -> Response:
    results_service.ensure_kept(runtime.jobs.visible(who, job_id))
    content, media_type = results_service.output_content(
        runtime.db, runtime.blobs, job_id, item, output
    )
    return Response(content, media_type=media_type)
