"""Real source servers for tests: SeaweedFS S3, Azurite, PostgreSQL, MariaDB, SQLite files."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest

from tests.support.azurite import Azurite, available, azurite
from tests.support.databases import fresh_postgres
from tests.support.s3server import S3Server, seaweedfs


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite-sources")


@pytest.fixture
def bucket(s3: S3Server) -> str:
    name = f"bucket-{uuid.uuid4().hex[:10]}"
    s3.client().create_bucket(Bucket=name)
    return name


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
        yield {
            "url": f"jdbc:postgresql://127.0.0.1:5432/{name}",
            "username": "reader",
            "password": "pg-reader-secret-91",
            "driver": "org.postgresql.Driver",
        }
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
    yield {
        "url": f"jdbc:mariadb://127.0.0.1:3306/{name}",
        "username": "ij_reader",
        "password": "maria-secret-42",
        "driver": "org.mariadb.jdbc.Driver",
    }
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE {name}")
    admin.close()


@pytest.fixture(scope="module")
def sqlite_source(sqlite_dir: Path) -> dict[str, str]:
    with sqlite3.connect(sqlite_dir / "reviews.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS reviews (id text PRIMARY KEY, body text)")
        conn.executemany("INSERT OR REPLACE INTO reviews VALUES (?, ?)", ROWS)
    return {
        "url": "jdbc:sqlite:reviews.db",
        "username": "",
        "password": "",
        "driver": "org.sqlite.JDBC",
    }


@pytest.fixture(scope="session")
def blob_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    if not available():
        if os.environ.get("CI"):
            pytest.fail("Azurite is required in CI: scripts/test installs it into .tools/")
        pytest.skip("Azurite is not installed (run scripts/test once)")
    with azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server
