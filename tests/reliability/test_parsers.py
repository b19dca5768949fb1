"""Hypothesis against the parsers of client input: each either parses or raises a 4xx error,
and what it parses runs as SQL on both databases' dialects without an error."""

from __future__ import annotations

import base64
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine
from sqlalchemy.dialects import postgresql

from inferjobs.domain import media
from inferjobs.errors import ClientError
from inferjobs.runtime import Runtime
from inferjobs.services import history
from inferjobs.services.keys import Principal
from inferjobs.storage import job_rows
from inferjobs.storage.tables import metadata
from tests.reliability import figures
from tests.support.runtime import principal, runtime_for

FILTERS = history.PARAMETERS
HOSTILE = st.sampled_from(
    [
        "' OR 1=1 --",
        "'; DROP TABLE jobs; --",
        '" OR ""="',
        "%' OR '%'='",
        "\\",
        "%_%",
        "1; SELECT pg_sleep(10)",
        "x' UNION SELECT secret_hash FROM api_keys --",
        "\x00",
        "2023-01-01T00:00:00' OR '1'='1",
        "9" * 40,
        "-1",
        "0",
    ]
)
SETTINGS = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
ZONE_EAST = timezone(timedelta(hours=5))
ZONE_WEST = timezone(-timedelta(hours=3, minutes=30))
LABEL = "hypothesis parsers (data URIs, history, dates, upload names)"
WHO = Principal("prefix", "user-prefix", "default", is_admin=False, high_priority=False)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@SETTINGS
@given(value=st.text(max_size=300))
def test_any_embedded_value_decodes_or_is_a_400(value: str) -> None:
    figures.record(LABEL, cases=1)
    try:
        data, declared = media.decode_embedded(value, "item 'a', input 'image'")
    except ClientError as exc:
        assert exc.status_code == 400 and "item 'a'" in exc.message
        return
    assert isinstance(data, bytes) and (declared is None or "/" in declared)


@SETTINGS
@given(
    data=st.binary(max_size=2000),
    mime=st.sampled_from(["image/png", "text/plain", "application/octet-stream", ""]),
    wrap=st.integers(min_value=0, max_value=80),
)
def test_data_uris_round_trip(data: bytes, mime: str, wrap: int) -> None:
    figures.record(LABEL, cases=1)
    encoded = base64.b64encode(data).decode()
    if wrap:  # line breaks inside base64, as some encoders write it
        encoded = "\n".join(encoded[i : i + wrap] for i in range(0, len(encoded), wrap))
    decoded, declared = media.decode_embedded(f"data:{mime};base64,{encoded}", "x")
    assert decoded == data
    assert declared == (mime if mime not in ("", media.OCTET_STREAM) else None)
    assert media.decode_embedded(base64.b64encode(data).decode(), "x") == (data, None)
    assert isinstance(media.detect(data), str)


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(FILTERS), st.text(max_size=60) | HOSTILE))
def test_any_history_query_parses_or_is_a_400(params: dict[str, str], engine: Engine) -> None:
    figures.record(LABEL, cases=1)
    try:
        query = history.parse(params, WHO, 1000)
    except ClientError as exc:
        assert exc.status_code == 400
        return
    statement = (
        job_rows.job_query()
        .where(*query.filters)
        .order_by(*query.order_by)
        .offset((query.page - 1) * query.per_page)
        .limit(query.per_page + 1)
    )
    with engine.connect() as conn:
        assert conn.execute(statement).all() == []  # runs; bound parameters, not SQL text
    statement.compile(dialect=postgresql.dialect())


@SETTINGS
@given(
    moment=st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([None, UTC, ZONE_EAST, ZONE_WEST]),
    ),
    style=st.sampled_from(["iso", "z", "compact"]),
)
def test_iso_dates_parse_to_the_same_instant(moment: datetime, style: str) -> None:
    figures.record(LABEL, cases=1)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = moment.isoformat(timespec="milliseconds")
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if style == "z" and aware.utcoffset() == timedelta(0):
        text = aware.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    elif style == "compact" and moment.tzinfo:
        text = text[:-3] + text[-2:]  # +05:00 -> +0500, as Modzy writes it
    assert history.parse_date(text, "startDate") == int(aware.timestamp() * 1000)


@SETTINGS
@given(value=st.text(max_size=80) | HOSTILE)
def test_any_date_text_parses_or_is_a_400(value: str) -> None:
    figures.record(LABEL, cases=1)
    try:
        assert isinstance(history.parse_date(value, "startDate"), int)
    except ClientError as exc:
        assert exc.status_code == 400 and "startDate" in exc.message


NAMES = st.text(alphabet=string.printable + "é☃/\\.", max_size=40) | st.sampled_from(
    ["..", "../../etc/passwd", "/absolute", "a/../../b", "\\..\\..", ".", "", "%2e%2e"]
)


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Principal]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'inferjobs.db'}"
    with runtime_for(url, tmp_path_factory.mktemp("data")) as runtime:
        yield runtime, principal(runtime)


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(source=NAMES, input_name=NAMES)
def test_upload_names_never_become_paths(
    source: str, input_name: str, uploads: tuple[Runtime, Principal]
) -> None:
    runtime, who = uploads
    model = {"identifier": "echo", "version": "1.0.0"}
    job_id = runtime.jobs.submit(who, {"model": model})["jobIdentifier"]
    try:
        runtime.jobs.upload(who, job_id, source, input_name, b"chunk")
    except ClientError as exc:
        assert exc.status_code in (400, 413)
    blob_root = runtime.settings.blob_dir.resolve()
    for path in blob_root.rglob("*"):
        relative = path.resolve().relative_to(blob_root)  # raises if outside the blob root
        assert relative.parts[0] == "jobs" and (
            len(relative.parts) < 3 or relative.parts[2] == "chunks"
        )
    figures.record(LABEL, cases=1)
