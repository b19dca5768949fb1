"""/api/jobs: submit, chunked uploads, close, read, cancel, history, features."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from inferjobs.api import openapi
from inferjobs.api.deps import Caller, RuntimeDep
from inferjobs.api.responses import json_response
from inferjobs.errors import BadRequest, PayloadTooLarge
from inferjobs.runtime import Runtime
from inferjobs.services import submission
from inferjobs.services.keys import Principal

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
MAX_IDEMPOTENCY_KEY = 200


async def _read_body(request: Request, limit: int) -> bytes:
    return bytes(await _receive(request, limit))


async def _receive(request: Request, limit: int) -> bytearray:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
    return body


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise BadRequest(f"Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY} characters")
    return key


@router.post("", status_code=200, openapi_extra=openapi.SUBMIT)
async def submit(request: Request, runtime: RuntimeDep, who: Caller) -> Response:
    data = await _receive(request, runtime.settings.api.max_body_bytes)
    key = _idempotency_key(request)
    return json_response(await run_in_threadpool(_submit, runtime, who, data, key))


def _submit(runtime: Runtime, who: Principal, data: bytearray, key: str | None) -> dict[str, Any]:
    """Decode the body (its items stay text until they are stored), free the raw bytes, submit."""
    body = submission.parse_body(data)
    data.clear()
    return runtime.jobs.submit(who, body, key)


@router.get("/features")
def features(runtime: RuntimeDep, who: Caller) -> dict[str, Any]:
    limits = runtime.settings.api
    # modzy-sdk parses sizes only with a unit; floor to whole KiB so its chunks always fit.
    chunk = f"{max(1, limits.chunk_max_bytes // 1024)}Ki"
    return {
        "inputChunkMaximumSize": chunk,
        "input_chunk_maximum_size": chunk,
        "maximumInputChunks": limits.max_chunks_per_input,
        "maximumInputsPerJob": limits.max_items_per_job,
    }


@router.get("/history", openapi_extra=openapi.HISTORY)
def history(request: Request, runtime: RuntimeDep, who: Caller) -> Response:
    params = dict(request.query_params)
    page, more = runtime.jobs.history(who, params)
    response = json_response(page)
    if more:
        current = max(1, int(params.get("page") or 1))
        following = urlencode({**params, "page": current + 1})
        response.headers["Link"] = f'<{request.url.path}?{following}>; rel="next"'
    return response


@router.get("/{job_id}")
def get_job(job_id: str, runtime: RuntimeDep, who: Caller) -> Response:
    return json_response(runtime.jobs.get(who, job_id))


@router.delete("/{job_id}")
def cancel(job_id: str, runtime: RuntimeDep, who: Caller) -> Response:
    return json_response(runtime.jobs.cancel(who, job_id))


@router.post("/{job_id}/close")
def close(job_id: str, runtime: RuntimeDep, who: Caller) -> Response:
    return json_response(runtime.jobs.close(who, job_id))


@router.post("/{job_id}/{source}/{input_name}", openapi_extra=openapi.CHUNK)
async def upload(
    job_id: str, source: str, input_name: str, request: Request, runtime: RuntimeDep, who: Caller
) -> Response:
    limit = runtime.settings.api.chunk_max_bytes
    data = await _chunk(request, limit)
    key = _idempotency_key(request)
    stored = await run_in_threadpool(
        runtime.jobs.upload, who, job_id, source, input_name, data, key
    )
    return json_response(stored)


async def _chunk(request: Request, limit: int) -> bytes:
    """The chunk: the multipart part named `input` (as modzy-sdk sends it), or a raw body."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        return await _read_body(request, limit)
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + 64 * 1024:
        raise PayloadTooLarge(f"a chunk is limited to {limit} bytes")
    try:
        form = await request.form(max_files=4, max_fields=16)
    except Exception as exc:  # malformed multipart
        raise BadRequest(f"the multipart body could not be read: {exc}") from None
    part = form.get("input")
    if isinstance(part, UploadFile):
        data = await part.read()
    elif isinstance(part, str):
        data = part.encode()
    else:
        raise BadRequest("the multipart body needs a part named 'input' holding the chunk")
    if len(data) > limit:
        raise PayloadTooLarge(f"a chunk of {len(data)} bytes is over the limit of {limit}")
    return data
