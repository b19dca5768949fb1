"""Parsing of source settings: host policy, JDBC URLs and the read-only query check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inferjobs.errors import BadRequest
from inferjobs.sources import jdbc
from inferjobs.sources.network import HostPolicy

DEFAULT = HostPolicy.parse("")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.5",
        "169.254.169.254",
        "::1",
        "0.0.0.0",
    ],
)
def test_private_and_local_hosts_are_refused_by_default(host: str) -> None:
    with pytest.raises(BadRequest, match="does not connect to"):
        DEFAULT.check(host, 443, "input.endpoint")


def test_allowed_hosts_names_addresses_and_ranges() -> None:
    policy = HostPolicy.parse("db.internal, 10.0.0.0/8 ,127.0.0.1")
    policy.check("db.internal", 5432, "input.url")  # not even resolved
    policy.check("10.200.3.4", 5432, "input.url")
    policy.check("127.0.0.1", 5432, "input.url")
    with pytest.raises(BadRequest):
        policy.check("192.168.1.1", 5432, "input.url")


def test_public_addresses_are_allowed() -> None:
    DEFAULT.check("8.8.8.8", 443, "input.endpoint")


def test_unresolvable_hosts_are_named() -> None:
    with pytest.raises(BadRequest, match="cannot be resolved"):
        DEFAULT.check("no-such-host.invalid", 443, "input.endpoint")


@pytest.mark.parametrize(
    ("url", "dialect", "host", "port", "database"),
    [
        (
            "jdbc:postgresql://db.example:6543/shop?user=u&password=p",
            "postgresql",
            "db.example",
            6543,
            "shop",
        ),
        ("jdbc:mysql://db.example/shop", "mysql", "db.example", 3306, "shop"),
        ("jdbc:mariadb://db.example:3307/shop", "mysql", "db.example", 3307, "shop"),
    ],
)
def test_jdbc_urls_translate(url: str, dialect: str, host: str, port: int, database: str) -> None:
    target = jdbc.target(
        {"url": url, "username": "", "password": "", "driver": ""},
        HostPolicy.parse("db.example"),
        "",
    )
    assert (target.dialect, target.url.host, target.url.port, target.url.database) == (
        dialect,
        host,
        port,
        database,
    )


def test_credentials_from_the_url_query_string() -> None:
    target = jdbc.target(
        {"url": "jdbc:postgresql://h/db?user=ann&password=pw"}, HostPolicy.parse("h"), ""
    )
    assert (target.url.username, target.url.password) == ("ann", "pw")


@pytest.mark.parametrize(
    "url", ["postgresql://h/db", "jdbc:oracle:thin:@h:1521:x", "jdbc:postgresql:db"]
)
def test_unsupported_jdbc_urls(url: str) -> None:
    with pytest.raises(BadRequest, match=r"input\.url"):
        jdbc.target({"url": url}, HostPolicy.parse("h"), "")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1",
        'select a as "input.txt" from t',
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT 'a;b' AS \"input.txt\"",
        "SELECT 1; ",
        "-- note\nSELECT 'drop table' AS x",
    ],
)
def test_read_only_queries_pass(query: str) -> None:
    jdbc.check_query(query)


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM t",
        "UPDATE t SET a=1",
        "SELECT 1; DROP TABLE t",
        "INSERT INTO t VALUES (1)",
        "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
        "SELECT * INTO new FROM t",
        "SELECT pg_sleep(100)",
        "",
        "/* only a comment */",
    ],
)
def test_anything_else_is_refused(query: str) -> None:
    with pytest.raises(BadRequest, match=r"input\.query"):
        jdbc.check_query(query)


@given(st.text(max_size=200), st.text(max_size=40), st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_jdbc_url_translates_or_is_a_400(url: str, user: str, driver: str) -> None:
    config = {"url": url, "username": user, "password": "p", "driver": driver}
    try:
        target = jdbc.target(config, HostPolicy.parse("0.0.0.0/0,::/0"), "")
    except BadRequest as exc:
        assert exc.message.startswith(("input.url", "input.driver"))
    else:
        assert target.dialect in ("postgresql", "mysql")


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_query_passes_the_check_or_is_a_400(query: str) -> None:
    try:
        jdbc.check_query(query)
    except BadRequest as exc:
        assert exc.message.startswith("input.query")
