from __future__ import annotations

import pytest

from inferjobs.domain.model_spec import InputSpec, ModelSpec, OutputSpec
from inferjobs.errors import BadRequest, PayloadTooLarge
from inferjobs.services import submission

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
