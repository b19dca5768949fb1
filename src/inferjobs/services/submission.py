"""Turn a POST /jobs body into validated items, or a 4xx naming what is wrong.

A large inline job is never held whole: the body's `input.sources` object stays undecoded
text (a `LazyObject`) whose items are decoded one at a time, once to check and count them
before the job's transaction, then again while they are inserted, a chunk at a time.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
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


# ---- the JSON body ----------------------------------------------------------------------------
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
Decode = Callable[[str, int], tuple[Any, int]]


class LazyObject:
    """A JSON object of the request body kept as text: `items()` decodes its members one at a
    time, so the items of a large job are never all Python objects at once."""

    def __init__(self, text: str, start: int, size: int) -> None:
        self.text = text
        self.start = start  # the index of its "{"
        self.size = size  # its number of members

    def __len__(self) -> int:
        return self.size

    def items(self) -> Iterator[tuple[str, Any]]:
        return _members(self.text, self.start, {}, [0])


def parse_body(data: bytes | bytearray) -> Any:
    """The decoded body, with `input.sources` left a LazyObject; 400 if it is not JSON."""
    try:
        text = data.decode(json.detect_encoding(data), "surrogatepass")
        if not text or text.isspace():
            raise BadRequest("the request body is empty: expected a JSON object")
        return _document(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None


def _document(text: str) -> Any:
    start = _skip(text, 0)
    if not text.startswith("{", start):
        return _DECODER.decode(text)  # not an object: parse_request refuses it
    end = [0]
    body = dict(_members(text, start, {"input": _input}, end))
    if _skip(text, end[0]) != len(text):
        raise json.JSONDecodeError("Extra data", text, _skip(text, end[0]))
    return body


def _input(text: str, pos: int) -> tuple[Any, int]:
    if not text.startswith("{", pos):
        return _DECODER.raw_decode(text, pos)
    end = [0]
    return dict(_members(text, pos, {"sources": _sources}, end)), end[0]


def _sources(text: str, pos: int) -> tuple[Any, int]:
    """Step over the sources object, checking its syntax and counting its members."""
    if not text.startswith("{", pos):
        return _DECODER.raw_decode(text, pos)
    end = [0]
    size = sum(1 for _ in _members(text, pos, {}, end))
    return LazyObject(text, pos, size), end[0]


def _members(
    text: str, start: int, special: Mapping[str, Decode], end: list[int]
) -> Iterator[tuple[str, Any]]:
    """The members of the JSON object at text[start], each value decoded by `special[key]` or
    as plain JSON; once done, end[0] is the index after the object."""
    pos = _skip(text, start + 1)
    if text.startswith("}", pos):
        end[0] = pos + 1
        return
    while True:
        if not text.startswith('"', pos):
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, pos
            )
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
        value, pos = special.get(key, _DECODER.raw_decode)(text, _skip(text, pos + 1))
        yield key, value
        pos = _skip(text, pos)
        if text.startswith("}", pos):
            end[0] = pos + 1
            return
        if not text.startswith(",", pos):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
        pos = _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    space = _SPACE.match(text, pos)
    return space.end() if space else pos


def decoded(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The input with its sources decoded, for the source types that read them whole."""
    sources = payload.get("sources")
    if isinstance(sources, LazyObject):
        return {**payload, "sources": dict(sources.items())}
    return dict(payload)


# ---- the request ------------------------------------------------------------------------------
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


# ---- inline items -----------------------------------------------------------------------------
@dataclass(frozen=True)
class InlineItems:
    """The checked items of a `text` or `embedded` job (`check_inline_items`), decoded again
    one at a time by `items()` when they are inserted."""

    payload: Mapping[str, Any]
    spec: ModelSpec
    job_id: str
    inline_max: int
    count: int
    size: int  # bytes of all values
    names: list[str] = field(default_factory=list)  # the first item names, for the answer

    def items(self) -> Iterator[NewItem]:
        for number, item in enumerate(inline_items(self.payload, self.spec, self.count)):
            values = [
                _stored(v, self.inline_max, _blob_key(self.job_id, number, k))
                for k, v in enumerate(item.values)
            ]
            yield NewItem(item.name, values)


def check_inline_items(
    blobs: LocalBlobStore,
    inline_max: int,
    job_id: str,
    payload: Mapping[str, Any],
    spec: ModelSpec,
    *,
    max_items: int,
    names_max: int,
) -> InlineItems:
    """Check every item (raises on the first problem), count them, and store the values over
    `inline_max` bytes in the blob store (deleted again if an item is refused)."""
    count = size = 0
    names = []
    try:
        for item in inline_items(payload, spec, max_items):
            for k, value in enumerate(item.values):
                if len(value.data) > inline_max:
                    blobs.put(_blob_key(job_id, count, k), value.data)
                size += len(value.data)
            if count < names_max:
                names.append(item.name)
            count += 1
    except Exception:
        blobs.delete_prefix(f"jobs/{job_id}/in")
        raise
    return InlineItems(payload, spec, job_id, inline_max, count, size, names)


def inline_items(payload: Mapping[str, Any], spec: ModelSpec, max_items: int) -> Iterator[RawItem]:
    """Validate `text` and `embedded` sources into items, one at a time; raises on the first
    problem (the type and the number of items at once)."""
    kind = payload.get("type")
    if kind in EXTERNAL_TYPES:
        raise BadRequest(f"input.type: source type '{kind}' is not enabled on this server")
    if kind not in INLINE_TYPES:
        raise BadRequest(
            f"input.type: expected one of {', '.join(INLINE_TYPES + EXTERNAL_TYPES)}; got {kind!r}"
        )
    sources = payload.get("sources")
    if not isinstance(sources, dict | LazyObject) or not len(sources):
        raise BadRequest("input.sources: expected an object naming at least one item")
    if len(sources) > max_items:
        raise PayloadTooLarge(
            f"input.sources: {len(sources)} items is over the limit of {max_items} per job"
        )
    return (
        validate_item(name, dict(_decode_values(name, values, kind)), spec)
        for name, values in sources.items()
    )


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


def store_item(blobs: LocalBlobStore, inline_max: int, job_id: str, item: RawItem) -> NewItem:
    """Keep small values inline in the database and large ones in the blob store."""
    values = []
    for value in item.values:
        stored = _stored(value, inline_max, f"jobs/{job_id}/in/{uuid.uuid4().hex}")
        if stored.blob_key:
            blobs.put(stored.blob_key, value.data)
        values.append(stored)
    return NewItem(item.name, values)


def _stored(value: RawValue, inline_max: int, key: str) -> StoredValue:
    """The value inline if it has at most `inline_max` bytes, else as the blob `key`."""
    inline = len(value.data) <= inline_max
    return StoredValue(
        value.input_name,
        value.media_type,
        len(value.data),
        value.data if inline else None,
        None if inline else key,
    )


def _blob_key(job_id: str, item_number: int, value_number: int) -> str:
    return f"jobs/{job_id}/in/{item_number}-{value_number}"
