from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec
from inferjobs.errors import BadRequest, PayloadTooLarge
from inferjobs.services import submission
from inferjobs.storage.blobs import LocalBlobStore

SPEC = ModelSpec(
    identifier="m",
    version="1",
    name="M",
    description="",
    inputs=(InputSpec("image", ("image/*",), 100), InputSpec("note.txt", required=False)),
    outputs=(OutputSpec("results.json"),),
)


def _value(name: str, data: bytes, kind: str) -> submission.RawValue:
    return submission.RawValue(name, data, kind)


def test_a_valid_item_with_an_optional_input_left_out() -> None:
    item = submission.validate_item("a", {"image": _value("image", b"x", "image/png")}, SPEC)
    assert item.name == "a" and [v.input_name for v in item.values] == ["image"]


def test_missing_required_input_is_named() -> None:
    with pytest.raises(BadRequest, match=r"item 'a': missing input 'image'"):
        submission.validate_item("a", {"note.txt": _value("note.txt", b"x", "text/plain")}, SPEC)


def test_media_type_and_size_are_checked() -> None:
    with pytest.raises(BadRequest, match=r"text/plain is not accepted; expected image/\*"):
        submission.validate_item("a", {"image": _value("image", b"x", "text/plain")}, SPEC)
    with pytest.raises(PayloadTooLarge, match="101 bytes is over the input's maximum size of 100"):
        submission.validate_item("a", {"image": _value("image", b"x" * 101, "image/png")}, SPEC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "model"),
        ({"model": {"identifier": "", "version": "1"}}, "model.identifier"),
        ({"model": {"identifier": "m", "version": 1}}, "model.version"),
        ({"model": {"identifier": "m", "version": "1"}, "explain": "maybe"}, "explain"),
        ({"model": {"identifier": "m", "version": "1"}, "timeout": -5}, "timeout"),
        ({"model": {"identifier": "m", "version": "1"}, "input": []}, "input"),
    ],
)
def test_parse_request_names_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(BadRequest, match=rf"^{field}"):
        submission.parse_request(body)


def test_explain_accepts_the_documented_string() -> None:
    request = submission.parse_request(
        {"model": {"identifier": "m", "version": "1"}, "explain": "true", "timeout": 500}
    )
    assert request.explain is True and request.timeout_ms == 500 and request.input is None


# ---- the body, decoded lazily -------------------------------------------------------------------
def _plain(value: object) -> object:
    """`value` with every LazyObject decoded, to compare with json.loads."""
    if isinstance(value, submission.LazyObject):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "text",
    [
        '{"model": {"identifier": "m", "version": "1"}, "input": {"type": "text", '
        '"sources": {"a": {"input.txt": "x"}, "b\\u00e9": {"input.txt": "y\\n"}}}}',
        ' \n{ "input" : { "sources" : { } , "type" : "text" } , "explain" : true }\t',
        '{"input": {"sources": ["a"]}}',
        '{"input": 5, "timeout": 1.5e3, "x": [null, true, {"sources": {}}]}',
        '{"input": {"sources": {"a": 1}}, "input": {"sources": {"b": 2}}}',  # the last one wins
        "[1, 2]",
        '"a string"',
    ],
)
def test_the_body_decodes_as_json_loads_does(text: str) -> None:
    body = submission.parse_body(bytearray(text.encode()))
    assert _plain(body) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1,}',
        '{"a" 1}',
        '{"a": 1 "b": 2}',
        '{"input": {"sources": {"a": {"input.txt": "x"},}}}',
        '{"input": {"sources": {"a": }}}',
        '{"a": 1} trailing',
        "{",
        "{1: 2}",
        '{"a": "\x01"}',
    ],
)
def test_invalid_json_is_a_400_with_the_decoders_message(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(BadRequest) as refused:
        submission.parse_body(text.encode())
    assert refused.value.message == f"the request body is not valid JSON: {expected.value}"


@pytest.mark.parametrize("data", [b"", b"  \r\n"])
def test_an_empty_body_is_named(data: bytes) -> None:
    with pytest.raises(BadRequest, match="the request body is empty"):
        submission.parse_body(data)


def test_utf16_and_bom_bodies_decode_as_with_json_loads() -> None:
    text = '{"a": "\u00e9"}'
    for data in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        assert submission.parse_body(data) == json.loads(data)


def test_sources_stay_text_until_read() -> None:
    body = submission.parse_body(
        b'{"input": {"type": "text", "sources": {"a": {"input.txt": "x"}, "b": {}}}}'
    )
    sources = body["input"]["sources"]
    assert isinstance(sources, submission.LazyObject) and len(sources) == 2
    assert list(sources.items()) == [("a", {"input.txt": "x"}), ("b", {})]
    assert list(sources.items()) == [("a", {"input.txt": "x"}), ("b", {})]  # read again
    assert submission.decoded(body["input"])["sources"] == {"a": {"input.txt": "x"}, "b": {}}


# ---- inline items: checked and counted, then produced again ------------------------------------
TEXT_SPEC = ModelSpec(
    identifier="t",
    version="1",
    name="T",
    description="",
    inputs=(InputSpec("input.txt", ("text/plain",), 1000),),
    outputs=(OutputSpec("results.json"),),
)


def _input(texts: dict[str, str]) -> Any:
    """The `input` of a parsed text job body (its sources a LazyObject)."""
    sources = json.dumps({name: {"input.txt": text} for name, text in texts.items()})
    body = f'{{"input": {{"type": "text", "sources": {sources}}}}}'
    return submission.parse_body(body.encode())["input"]


def test_inline_items_are_counted_then_produced_with_large_values_as_blobs(
    tmp_path: Path,
) -> None:
    blobs = LocalBlobStore(tmp_path)
    payload = _input({"a": "x" * 5, "b": "y" * 20, "c": "z"})
    checked = submission.check_inline_items(
        blobs, 10, "job", payload, TEXT_SPEC, max_items=3, names_max=2
    )
    assert (checked.count, checked.size, checked.names) == (3, 26, ["a", "b"])
    assert blobs.get("jobs/job/in/1-0") == b"y" * 20  # stored before the transaction
    items = list(checked.items())
    assert [i.name for i in items] == ["a", "b", "c"]
    assert [(v.data, v.blob_key, v.size) for i in items for v in i.values] == [
        (b"xxxxx", None, 5),
        (None, "jobs/job/in/1-0", 20),
        (b"z", None, 1),
    ]


def test_a_refused_item_removes_the_blobs_already_stored(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    payload = _input({"a": "y" * 20, "b": "z" * 2000})  # b is over the input's maximum size
    with pytest.raises(PayloadTooLarge, match="item 'b'"):
        submission.check_inline_items(
            blobs, 10, "job", payload, TEXT_SPEC, max_items=5, names_max=5
        )
    assert not (tmp_path / "jobs" / "job" / "in").exists()


def test_too_many_items_are_refused_before_any_is_read(tmp_path: Path) -> None:
    payload = _input({f"i{n}": "x" for n in range(4)})
    blobs = LocalBlobStore(tmp_path)
    with pytest.raises(PayloadTooLarge, match="4 items is over the limit of 3"):
        submission.check_inline_items(
            blobs, 10, "job", payload, TEXT_SPEC, max_items=3, names_max=0
        )
