"""One place that renders every error as the Modzy error body."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from inferjobs.errors import InferJobsError

log = logging.getLogger(__name__)
REPORT_URL = "https://github.com/inferjobs/inferjobs/issues"


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    phrase = HTTPStatus(status).name if status in HTTPStatus._value2member_map_ else "ERROR"
    body = {
        "statusCode": status,
        "status": phrase,
        "message": message,
        "reportErrorUrl": REPORT_URL,
    }
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(InferJobsError)
    async def _ours(_request: Request, exc: InferJobsError) -> JSONResponse:
        retry = exc.retry_after or 5
        headers = {"Retry-After": str(retry)} if exc.status_code in (429, 503) else None
        if exc.status_code >= 500:
            log.warning("%s: %s", exc.code, exc.message)
        return error_response(exc.status_code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path"))
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return error_response(400, "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route: see /docs for the API"
        return error_response(exc.status_code, message, dict(exc.headers or {}))

    @app.exception_handler(ClientDisconnect)
    async def _disconnected(_request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client went away while sending its body: nobody reads this answer.
        return error_response(400, "the client disconnected before its request was read")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(500, "internal error; it has been logged")
