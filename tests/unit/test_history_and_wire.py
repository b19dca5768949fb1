from __future__ import annotations

from pathlib import Path

import pytest

from inferjobs.errors import BadRequest
from inferjobs.logs import scrub
from inferjobs.services.history import parse_date
from inferjobs.services.wire import timestamp
from inferjobs.sources.secrets import SecretBox


@pytest.mark.parametrize(
    "text",
    [
        "2023-01-02T03:04:05.000",
        "2023-01-02T03:04:05.000Z",
        "2023-01-02T03:04:05.000+00:00",
        "2023-01-02T03:04:05.000+0000",
        "2023-01-02T03:04:05.000 00:00",
    ],
)
def test_dates_without_a_zone_are_utc(text: str) -> None:
    assert parse_date(text, "startDate") == 1672628645000


def test_other_zones_are_converted() -> None:
    assert parse_date("2023-01-02T05:04:05+02:00", "startDate") == 1672628645000


def test_bad_dates_name_the_parameter() -> None:
    with pytest.raises(BadRequest, match=r"^endDate"):
        parse_date("02/01/2023", "endDate")


def test_timestamps_have_milliseconds_and_utc_offset() -> None:
    assert timestamp(1694188263123) == "2023-09-08T15:51:03.123+0000"
    assert timestamp(None) is None


def test_logs_scrub_secrets() -> None:
    line = scrub(
        "Authorization: ApiKey pre.secret url=postgresql+psycopg://u:pw@h/db "
        '{"password": "hunter2", "secretAccessKey": "AKS"}'
    )
    for secret in ("pre.secret", "pw@", "hunter2", "AKS"):
        assert secret not in line


def test_secret_box_round_trip_and_one_key_per_data_dir(tmp_path: Path) -> None:
    first = SecretBox.from_settings("", tmp_path / "secret.key")
    second = SecretBox.from_settings("", tmp_path / "secret.key")
    sealed = first.seal({"password": "p4ss"})
    assert b"p4ss" not in sealed
    assert second.open(sealed) == {"password": "p4ss"}
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
