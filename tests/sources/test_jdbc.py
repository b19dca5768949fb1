"""jdbc sources on real PostgreSQL, MariaDB and SQLite databases."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from tests.api.conftest import Api
from tests.support.databases import fresh_postgres

ROWS = [("r0", "I love this product"), ("r1", "This is awful and sad"), ("r2", "A table")]


@pytest.fixture(scope="module")
def pg_source() -> Iterator[dict[str, str]]:
    from tests.conftest import _require_postgres

    _require_postgres()
    with fresh_postgres() as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("CREATE ROLE reader LOGIN PASSWORD 'pg-reader-secret-91'")
            conn.execute("CREATE TABLE reviews (id text PRIMARY KEY, body text)")
            conn.cursor().executemany("INSERT INTO reviews VALUES (%s, %s)", ROWS)
            conn.execute("GRANT SELECT ON reviews TO reader")
        name = url.rsplit("/", 1)[1]
        yield {"url": f"jdbc:postgresql://127.0.0.1:5432/{name}", "username": "reader",
               "password": "pg-reader-secret-91", "driver": "org.postgresql.Driver"}
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("DROP TABLE reviews")
        with psycopg.connect(plain.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute("DROP ROLE IF EXISTS reader")


@pytest.fixture(scope="module")
def maria_source() -> Iterator[dict[str, str]]:
    name = f"inferjobs_{uuid.uuid4().hex[:10]}"
    try:
        admin = pymysql.connect(host="127.0.0.1", user="root", password="", autocommit=True)
    except pymysql.MySQLError as exc:
        pytest.fail(f"MariaDB is required on 127.0.0.1:3306: {exc}")
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
        cur.execute(f"CREATE TABLE {name}.reviews (id varchar(10) PRIMARY KEY, body text)")
        cur.executemany(f"INSERT INTO {name}.reviews VALUES (%s, %s)", ROWS)
        cur.execute("CREATE USER IF NOT EXISTS 'ij_reader'@'%' IDENTIFIED BY 'maria-secret-42'")
        cur.execute(f"GRANT SELECT ON {name}.* TO 'ij_reader'@'%'")
    yield {"url": f"jdbc:mariadb://127.0.0.1:3306/{name}", "username": "ij_reader",
           "password": "maria-secret-42", "driver": "org.mariadb.jdbc.Driver"}
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")
    admin.close()


@pytest.fixture(scope="module")
def sqlite_source(sqlite_dir: Path) -> dict[str, str]:
    with sqlite3.connect(sqlite_dir / "reviews.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS reviews (id text PRIMARY KEY, body text)")
        conn.executemany("INSERT OR REPLACE INTO reviews VALUES (?, ?)", ROWS)
    return {"url": "jdbc:sqlite:reviews.db", "username": "", "password": "",
            "driver": "org.sqlite.JDBC"}


def _submit(api: Api, source: dict[str, str], query: str, model: str = "ed542963de",
            version: str = "1.0.1") -> Any:
    return api.post("/jobs", json={"model": {"identifier": model, "version": version},
                                   "explain": False,
                                   "input": {"type": "jdbc", **source, "query": query}})


@pytest.mark.parametrize("source_name", ["pg_source", "maria_source", "sqlite_source"])
def test_each_row_is_an_item(api: Api, source_name: str, request: pytest.FixtureRequest) -> None:
    source = request.getfixturevalue(source_name)
    alias = '"input.txt"' if source_name != "maria_source" else "`input.txt`"
    response = _submit(api, source, f"SELECT body AS {alias} FROM reviews ORDER BY id")
    assert response.status_code == 200, response.text
    job = api.wait(response.json()["jobIdentifier"], timeout=60)
    assert (job["status"], job["total"], job["completed"]) == ("COMPLETED", 3, 3)
    results = api.get(f"/results/{job['jobIdentifier']}").json()["results"]
    classes = [results[str(n)]["results.json"]["data"]["result"]["classPredictions"][0]["class"]
               for n in range(3)]
    assert classes == ["positive", "negative", "neutral"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("DELETE FROM reviews", "only a read-only SELECT"),
        ("SELECT body AS \"input.txt\" FROM reviews; DROP TABLE reviews", "single statement"),
        ("SELECT body AS \"input.txt\" FROM reviews WHERE id IN (SELECT 1) FOR UPDATE", ""),
        ("SELECT body AS \"input.txt\" FORM reviews", "syntax"),
        ("SELECT body AS \"input.txt\" FROM reviews WHERE false", "no rows"),
        ("SELECT body AS content FROM reviews", "match no input"),
        ("SELECT body AS \"input.txt\" FROM missing_table", "missing_table"),
    ],
)
def test_bad_queries_get_a_400(api: Api, pg_source: dict[str, str], query: str,
                               words: str) -> None:
    response = _submit(api, pg_source, query)
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]
    assert pg_source["password"] not in response.text


def test_connection_problems_get_a_400(api: Api, pg_source: dict[str, str],
                                       maria_source: dict[str, str]) -> None:
    query = 'SELECT body AS "input.txt" FROM reviews'
    # PostgreSQL here trusts local connections; MariaDB checks passwords
    wrong = _submit(api, {**maria_source, "password": "wrong-password"},
                    "SELECT body AS `input.txt` FROM reviews")
    assert wrong.status_code == 400 and "Access denied" in wrong.json()["message"]
    assert "wrong-password" not in wrong.text
    closed_port = _submit(api, {**pg_source, "url": "jdbc:postgresql://127.0.0.1:1/x"}, query)
    assert closed_port.status_code == 400 and "JDBC" in closed_port.json()["message"]
    bad_driver = _submit(api, {**pg_source, "driver": "org.sqlite.JDBC"}, query)
    assert bad_driver.status_code == 400 and "input.driver" in bad_driver.json()["message"]
    outside = _submit(api, {**pg_source, "url": "jdbc:sqlite:../../etc/passwd",
                            "driver": "org.sqlite.JDBC"}, query)
    assert outside.status_code == 400 and "SQLite" in outside.json()["message"]


def test_the_query_runs_read_only(api: Api, maria_source: dict[str, str]) -> None:
    sneaky = "SELECT body AS `input.txt` FROM reviews INTO OUTFILE '/tmp/x'"
    response = _submit(api, maria_source, sneaky)
    assert response.status_code == 400
