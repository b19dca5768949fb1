"""jdbc sources on real PostgreSQL, MariaDB and SQLite databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api


def _submit(
    api: Api, source: dict[str, str], query: str, model: str = "ed542963de", version: str = "1.0.1"
) -> Any:
    return api.post(
        "/jobs",
        json={
            "model": {"identifier": model, "version": version},
            "explain": False,
            "input": {"type": "jdbc", **source, "query": query},
        },
    )


@pytest.mark.parametrize("source_name", ["pg_source", "maria_source", "sqlite_source"])
def test_each_row_is_an_item(api: Api, source_name: str, request: pytest.FixtureRequest) -> None:
    source = request.getfixturevalue(source_name)
    alias = '"input.txt"' if source_name != "maria_source" else "`input.txt`"
    response = _submit(api, source, f"SELECT body AS {alias} FROM reviews ORDER BY id")
    assert response.status_code == 200, response.text
    job = api.wait(response.json()["jobIdentifier"], timeout=60)
    assert (job["status"], job["total"], job["completed"]) == ("COMPLETED", 3, 3)
    results = api.get(f"/results/{job['jobIdentifier']}").json()["results"]
    classes = [
        results[str(n)]["results.json"]["data"]["result"]["classPredictions"][0]["class"]
        for n in range(3)
    ]
    assert classes == ["positive", "negative", "neutral"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("DELETE FROM reviews", "only a read-only SELECT"),
        ('SELECT body AS "input.txt" FROM reviews; DROP TABLE reviews', "single statement"),
        ('SELECT body AS "input.txt" FROM reviews WHERE id IN (SELECT 1) FOR UPDATE', ""),
        ('SELECT body AS "input.txt" FORM reviews', "syntax"),
        ('SELECT body AS "input.txt" FROM reviews WHERE false', "no rows"),
        ("SELECT body AS content FROM reviews", "match no input"),
        ('SELECT body AS "input.txt" FROM missing_table', "missing_table"),
    ],
)
def test_bad_queries_get_a_400(api: Api, pg_source: dict[str, str], query: str, words: str) -> None:
    response = _submit(api, pg_source, query)
    assert response.status_code == 400, response.text
    assert words in response.json()["message"]
    assert pg_source["password"] not in response.text


def test_connection_problems_get_a_400(
    api: Api, pg_source: dict[str, str], maria_source: dict[str, str]
) -> None:
    query = 'SELECT body AS "input.txt" FROM reviews'
    # PostgreSQL here trusts local connections; MariaDB checks passwords
    wrong = _submit(
        api,
        {**maria_source, "password": "wrong-password"},
        "SELECT body AS `input.txt` FROM reviews",
    )
    assert wrong.status_code == 400 and "Access denied" in wrong.json()["message"]
    assert "wrong-password" not in wrong.text
    closed_port = _submit(api, {**pg_source, "url": "jdbc:postgresql://127.0.0.1:1/x"}, query)
    assert closed_port.status_code == 400 and "JDBC" in closed_port.json()["message"]
    bad_driver = _submit(api, {**pg_source, "driver": "org.sqlite.JDBC"}, query)
    assert bad_driver.status_code == 400 and "input.driver" in bad_driver.json()["message"]
    outside = _submit(
        api,
        {**pg_source, "url": "jdbc:sqlite:../../etc/passwd", "driver": "org.sqlite.JDBC"},
        query,
    )
    assert outside.status_code == 400 and "SQLite" in outside.json()["message"]


def test_the_query_runs_read_only(api: Api, maria_source: dict[str, str]) -> None:
    sneaky = "SELECT body AS `input.txt` FROM reviews INTO OUTFILE '/tmp/x'"
    response = _submit(api, maria_source, sneaky)
    assert response.status_code == 400
