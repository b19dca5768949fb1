"""Request dependencies: the runtime and the calling key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from inferjobs.errors import Unauthorized
from inferjobs.runtime import Runtime
from inferjobs.services.keys import Principal
from inferjobs.services.limits import AuthThrottle


async def get_runtime(request: Request) -> Runtime:
    """Async: FastAPI runs a plain function dependency in a worker thread, a hop per request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    """The caller's key; a client that failed too often is refused (429) before any check."""
    throttle: AuthThrottle = request.app.state.auth_throttle
    client = request.client.host if request.client else "unknown"
    throttle.check(client)
    header = request.headers.get("authorization")
    try:
        known = runtime.keys.cached(header)
        if known is not None:
            return known
        return await run_in_threadpool(runtime.keys.authenticate, header)
    except Unauthorized:
        throttle.failed(client)
        raise


Caller = Annotated[Principal, Depends(get_principal)]


def base_url(request: Request, runtime: Runtime) -> str:
    configured = runtime.settings.api.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")
