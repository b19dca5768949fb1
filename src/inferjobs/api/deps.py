"""Request dependencies: the runtime and the calling key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from inferjobs.runtime import Runtime
from inferjobs.services.keys import Principal


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_principal(request: Request, runtime: RuntimeDep) -> Principal:
    header = request.headers.get("authorization")
    return await run_in_threadpool(runtime.keys.authenticate, header)


Caller = Annotated[Principal, Depends(get_principal)]


def base_url(request: Request, runtime: Runtime) -> str:
    configured = runtime.settings.api.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")
