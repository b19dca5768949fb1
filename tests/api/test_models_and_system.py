"""Models routes, health, readiness and metrics."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api


def test_models_list_filters_and_pages(api: Api) -> None:
    models = api.get("/models").json()
    assert {m["modelId"] for m in models} >= {"ed542963de", "echo", "sleep"}
    by_name = api.get(
        "/models", params={"name": "Sentiment Analysis", "isActive": "True", "per-page": 1000}
    ).json()
    assert [m["modelId"] for m in by_name] == ["ed542963de"]
    assert by_name[0]["latestVersion"] == "1.0.1" and by_name[0]["versions"] == ["1.0.1"]
    assert api.get("/models", params={"isActive": "false"}).json() == []
    page = api.get("/models", params={"per-page": 1, "page": 2}).json()
    assert len(page) == 1 and page[0]["modelId"] == sorted(m["modelId"] for m in models)[1]
    assert api.get("/models", params={"isActive": "maybe"}).status_code == 400


def test_model_version_details(api: Api) -> None:
    model = api.get("/models/ed542963de").json()
    assert model["modelId"] == "ed542963de" and model["name"] == "Sentiment Analysis"
    assert model["latestVersion"] == "1.0.1"
    versions = api.get("/models/ed542963de/versions").json()
    assert [v["version"] for v in versions] == ["1.0.1"]
    version = api.get("/models/ed542963de/versions/1.0.1").json()
    assert version["inputs"] == [
        {
            "name": "input.txt",
            "acceptedMediaTypes": "text/plain",
            "maximumSize": 1_000_000,
            "description": "English text, UTF-8",
        }
    ]
    assert version["outputs"][0]["name"] == "results.json"
    assert version["outputs"][0]["mediaType"] == "application/json"
    assert version["timeout"]["run"] > 0 and version["timeout"]["status"] > 0
    assert version["requirement"]["cpuAmount"].endswith("m")
    sample = api.get("/models/ed542963de/versions/1.0.1/sample-input").json()
    assert sample["input"]["sources"]
    assert "results.json" in api.get("/models/ed542963de/versions/1.0.1/sample-output").json()
    assert api.get("/models/nope").status_code == 404
    assert api.get("/models/ed542963de/versions/0.0.0").status_code == 404


def test_sdk_support_routes(api: Api) -> None:
    requirements = api.get("/models/requirements/account").json()
    assert isinstance(requirements, list) and requirements[0]["status"] == "ACTIVE"
    assert "minimumProcessingEnginesSum" in api.get("/models/processing-engines").json()
    engines = api.get("/resources/processing/engines").json()
    sentiment = next(e for e in engines if e["identifier"] == "ed542963de")
    assert sentiment["version"] == "1.0.1" and sentiment["ready"] >= 1
    tags = {t["name"] for t in api.get("/models/tags").json()}
    assert "sentiment" in tags
    tagged = api.get("/models/tags/sentiment").json()
    assert [m["modelId"] for m in tagged["models"]] == ["ed542963de"]
    patched = api.http.patch(
        "/models/echo/versions/1.0.0",
        json={"processing": {"minimumParallelCapacity": 1, "maximumParallelCapacity": 2}},
    )
    assert patched.status_code == 200
    assert patched.json()["processing"] == {
        "minimumParallelCapacity": 1,
        "maximumParallelCapacity": 2,
    }


def test_models_need_the_api_prefix(api: Api) -> None:
    response = httpx.get(f"{api.server.url}/models", headers=api.server.headers())
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


def test_health_ready_and_metrics(api: Api) -> None:
    assert httpx.get(f"{api.server.api}/health").json() == {"status": "ok"}
    assert httpx.get(f"{api.server.api}/ready").status_code == 200
    job_id = api.submit_texts("echo", "1.0.0", {"m": "metric"})
    api.wait(job_id)
    metrics = httpx.get(f"{api.server.url}/metrics").text
    assert 'inferjobs_jobs{status="COMPLETED"}' in metrics
    assert 'inferjobs_items_processed_total{model="echo:1.0.0",status="successful"}' in metrics
    assert "inferjobs_item_latency_seconds_bucket" in metrics
    assert "inferjobs_queue_depth" in metrics


def test_errors_use_the_modzy_body(api: Api) -> None:
    response = api.http.put("/jobs/history")
    assert response.status_code == 405
    body = response.json()
    assert set(body) == {"statusCode", "status", "message", "reportErrorUrl"}
