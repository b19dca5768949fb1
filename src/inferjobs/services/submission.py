"""Turn a POST /jobs body into validated items, or a 4xx naming what is wrong."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from inferjobs.domain import media
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import BadRequest, PayloadTooLarge
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.job_rows import NewItem, StoredValue

INLINE_TYPES = ("text", "embedded")
EXTERNAL_TYPES = ("aws-s3", "aws-s3-folder", "storage-grid", "azureblob", "jdbc")
MAX_NAME = 500
MAX_TIMEOUT_MS = 366 * 24 * 3_600_000  # a year; larger ones would overflow time arithmetic


@dataclass(frozen=True)
class RawValue:
    input_name: str
    data: bytes
    media_type: str


@dataclass(frozen=True)
class RawItem:
    name: str
    values: tuple[RawValue, ...]


@dataclass(frozen=True)
class JobRequest:
    identifier: str
    version: str
    explain: bool
    timeout_ms: int | None
    input: dict[str, Any] | None  # None: an OPEN job for chunked uploads


def store_item(blobs: LocalBlobStore, inline_max: int, job_id: str, item: RawItem) -> NewItem:
    """Keep small values inline in the database and large ones in the blob store."""
    values = []
    for value in item.values:
        inline = len(value.data) <= inline_max
        key = None if inline else f"jobs/{job_id}/in/{uuid.uuid4().hex}"
        if key:
            blobs.put(key, value.data)
        values.append(
            StoredValue(
                value.input_name,
                value.media_type,
                len(value.data),
                value.data if inline else None,
                key,
            )
        )
    return NewItem(item.name, values)


def parse_request(body: Any) -> JobRequest:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, dict):
        raise BadRequest('model: expected an object {"identifier": ..., "version": ...}')
    identifier, version = model.get("identifier"), model.get("version")
    if not isinstance(identifier, str) or not identifier:
        raise BadRequest("model.identifier: expected a non-empty string")
    if not isinstance(version, str) or not version:
        raise BadRequest("model.version: expected a non-empty string")
    payload = body.get("input")
    if payload is not None and not isinstance(payload, dict):
        raise BadRequest("input: expected an object with 'type' and 'sources'")
    return JobRequest(
        identifier,
        version,
        _boolean(body.get("explain", False)),
        _timeout(body.get("timeout")),
        payload,
    )


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value is None:
        return False
    raise BadRequest("explain: expected true or false")


def _timeout(value: Any) -> int | None:
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_TIMEOUT_MS:
        raise BadRequest(
            f"timeout: expected a positive whole number of milliseconds up to {MAX_TIMEOUT_MS}"
        )
    return value


def check_explain(spec: ModelSpec, explain: bool) -> None:
    if explain and not spec.can_explain:
        raise BadRequest(
            f"explain: model {spec.identifier} {spec.version} ({spec.name}) cannot explain "
            "its results; submit with explain=false"
        )


def inline_items(payload: Mapping[str, Any], spec: ModelSpec, max_items: int) -> list[RawItem]:
    """Validate `text` and `embedded` sources into items; raises on the first problem."""
    kind = payload.get("type")
    if kind in EXTERNAL_TYPES:
        raise BadRequest(f"input.type: source type '{kind}' is not enabled on this server")
    if kind not in INLINE_TYPES:
        raise BadRequest(
            f"input.type: expected one of {', '.join(INLINE_TYPES + EXTERNAL_TYPES)}; got {kind!r}"
        )
    sources = payload.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise BadRequest("input.sources: expected an object naming at least one item")
    if len(sources) > max_items:
        raise PayloadTooLarge(
            f"input.sources: {len(sources)} items is over the limit of {max_items} per job"
        )
    return [
        validate_item(name, dict(_decode_values(name, values, kind)), spec)
        for name, values in sources.items()
    ]


def _decode_values(name: str, values: Any, kind: str) -> Iterator[tuple[str, RawValue]]:
    if not isinstance(values, dict) or not values:
        raise BadRequest(f"item '{name}': expected an object mapping model input names to values")
    for input_name, value in values.items():
        where = f"item '{name}', input '{input_name}'"
        if not isinstance(value, str):
            raise BadRequest(f"{where}: expected a string value for source type '{kind}'")
        declared: str | None = "text/plain"
        if kind == "text":
            data = value.encode("utf-8")
        else:
            data, declared = media.decode_embedded(value, where)
        yield input_name, RawValue(input_name, data, declared or media.detect(data))


def validate_item(name: str, values: dict[str, RawValue], spec: ModelSpec) -> RawItem:
    """Check one item's values against the model's inputs."""
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"item names must have 1 to {MAX_NAME} characters; got {name[:80]!r}")
    model = f"model {spec.identifier} {spec.version}"
    inputs = ", ".join(i.name for i in spec.inputs)
    for input_name, value in values.items():
        where = f"item '{name}', input '{input_name}'"
        declared = spec.input(input_name)
        if declared is None:
            raise BadRequest(f"{where}: {model} has no input '{input_name}'; its inputs: {inputs}")
        if len(value.data) > declared.maximum_size:
            raise PayloadTooLarge(
                f"{where}: {len(value.data)} bytes is over the input's maximum size of "
                f"{declared.maximum_size} bytes"
            )
        if not media.accepts(declared.accepted_media_types, value.media_type):
            raise BadRequest(
                f"{where}: media type {value.media_type} is not accepted; expected "
                f"{', '.join(declared.accepted_media_types)}"
            )
    missing = [i.name for i in spec.inputs if i.required and i.name not in values]
    if missing:
        raise BadRequest(
            f"item '{name}': missing input {', '.join(repr(m) for m in missing)} "
            f"required by {model}"
        )
    return RawItem(name, tuple(values.values()))
