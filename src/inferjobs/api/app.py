"""The FastAPI application factory."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from inferjobs import __version__
from inferjobs.api import errors, openapi
from inferjobs.api.metrics import registry_for
from inferjobs.api.routes import jobs, models, results, system
from inferjobs.runtime import Runtime
from inferjobs.services.limits import AuthThrottle

log = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, worker: bool = False, slots: int | None = None) -> FastAPI:
    """An app over `runtime`; with `worker`, an in-process worker runs while it is up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(runtime.prepare)
        if worker:
            runtime.start_workers(slots)
        stop_watching = threading.Event()
        if not runtime.db.is_sqlite:
            runtime.keys.cache.watch(runtime.db.url, stop_watching)
        try:
            yield
        finally:
            stop_watching.set()
            grace = runtime.settings.worker.stop_grace_seconds
            await run_in_threadpool(runtime.stop_workers, grace)

    app = FastAPI(
        title="inferjobs",
        version=__version__,
        description="Asynchronous ML inference jobs with a Modzy-compatible API.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.metrics_registry = registry_for(runtime.db)
    limits = runtime.settings.api
    app.state.auth_throttle = AuthThrottle(
        limits.auth_failures_max, limits.auth_failure_window_seconds
    )
    app.add_middleware(BodyLimit, limit=runtime.settings.api.max_body_bytes)
    errors.install(app)
    openapi.install(app)
    for module in (system, jobs, results, models):
        app.include_router(module.router)
    return app


class BodyLimit:
    """Refuse a declared body over the limit before reading it (pure ASGI: no overhead)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit:
                response = errors.error_response(
                    413,
                    f"the request body of {int(declared)} bytes is over the limit of "
                    f"{self.limit} bytes",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
