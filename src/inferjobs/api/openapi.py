"""OpenAPI descriptions of what some routes read by themselves (Modzy's loose query strings,
raw JSON and chunk bodies), so /docs and API fuzzers know every parameter, and the key scheme."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from inferjobs.services import history

_STRING = {"type": "string"}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "a resend with the same key has the effect of one request",
    "schema": {"type": "string", "maxLength": 200},
}
_JOB = {
    "type": "object",
    "required": ["model"],
    "properties": {
        "model": {
            "type": "object",
            "required": ["identifier", "version"],
            "properties": {"identifier": _STRING, "version": _STRING},
        },
        "explain": {"type": "boolean"},
        "timeout": {"type": "integer", "minimum": 0},
        "input": {
            "type": "object",
            "required": ["type", "sources"],
            "properties": {
                "type": {"type": "string", "enum": ["text", "embedded"]},
                "sources": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "additionalProperties": _STRING},
                },
            },
        },
    },
}
_CHUNK = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["input"],
            "properties": {"input": {"type": "string", "format": "binary"}},
        }
    },
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
}
_PUBLIC = ("/api/health", "/api/ready", "/metrics")


def query(*names: str) -> dict[str, Any]:
    """openapi_extra for a route that reads these optional string query parameters."""
    return {
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": _STRING} for name in names
        ]
    }


HISTORY = query(*history.PARAMETERS)
MODELS = query(
    "modelId",
    "author",
    "createdByEmail",
    "name",
    "description",
    "isActive",
    "isRecommended",
    "isExpired",
    "sort-by",
    "direction",
    "page",
    "per-page",
)
SUBMIT = {
    "parameters": [_IDEMPOTENCY_KEY],
    "requestBody": {"required": True, "content": {"application/json": {"schema": _JOB}}},
}
CHUNK = {"parameters": [_IDEMPOTENCY_KEY], "requestBody": {"required": True, "content": _CHUNK}}
JSON_OBJECT = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def install(app: FastAPI) -> None:
    """Declare the `Authorization: ApiKey <prefix>.<secret>` scheme on every keyed route."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                "ApiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "ApiKey <prefix>.<secret>",
                }
            }
            for path, operations in schema["paths"].items():
                for operation in operations.values():
                    operation["security"] = [] if path in _PUBLIC else [{"ApiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]
