"""Every models, tags and processing-engine route the SDK has."""

from __future__ import annotations

from tests.compat.runner import SdkRunner


def test_model_listing_and_filters(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        def ids(models):
            return [m.model_id for m in models]
        emit({
            "by_name": client.models.get_models(name="Sentiment Analysis", is_active=True),
            "inactive": ids(client.models.get_models(is_active=False)),
            "recommended": ids(client.models.get_models(is_recommended=True)),
            "not_recommended": ids(client.models.get_models(is_recommended=False)),
            "not_expired": ids(client.models.get_models(is_expired=False)),
            "by_id": ids(client.models.get_models(model_id="echo")),
            "by_description": ids(client.models.get_models(description="VADER")),
            "by_author": ids(client.models.get_models(author="no such author")),
            "sorted_desc": ids(client.models.get_models(sort_by="modelId", direction="desc")),
            "page2": ids(client.models.get_models(sort_by="modelId", page=2, per_page=1)),
            "all": client.models.get_all(),
        })
        """
    )
    [sentiment] = out["by_name"]
    assert sentiment["modelId"] == "ed542963de"
    assert sentiment["latestVersion"] == "1.0.1"
    assert "1.0.1" in sentiment["versions"]
    assert out["inactive"] == []
    assert "ed542963de" in out["recommended"]
    assert {"echo", "sleep"} <= set(out["not_recommended"])
    assert "ed542963de" not in out["not_recommended"]
    assert {"ed542963de", "echo", "sleep"} <= set(out["not_expired"])
    assert out["by_id"] == ["echo"]
    assert out["by_description"] == ["ed542963de"]
    assert out["by_author"] == []
    assert out["sorted_desc"] == sorted(out["sorted_desc"], reverse=True)
    assert out["page2"] == [sorted(m["modelId"] for m in out["all"])[1]]
    latest = {m["modelId"]: m["latestVersion"] for m in out["all"]}
    assert latest["ed542963de"] == "1.0.1"
    assert latest["echo"] == "1.0.0"
    assert latest["sleep"] == "1.0.0"


def test_model_details_versions_and_samples(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        by_name = client.models.get_by_name("Sentiment Analysis")
        model = client.models.get("ed542963de")
        synced = model.sync()
        versions = client.models.get_versions("ed542963de")
        version = client.models.get_version("ed542963de", "1.0.1")
        emit({
            "by_name": by_name,
            "by_name_latest": by_name.latest_version,
            "model": model,
            "from_model_object": client.models.get(by_name).model_id,
            "synced": synced.model_id,
            "missing_name": capture(client.models.get_by_name, "No Such Model"),
            "related": [m.model_id for m in client.models.get_related("ed542963de")],
            "related_echo": [m.model_id for m in client.models.get_related("echo")],
            "related_via_model": [m.model_id for m in model.get_related()],
            "versions": [v.version for v in versions],
            "versions_via_model": [v.version for v in model.get_versions()],
            "version": version,
            "version_by_object": client.models.get_version(model, versions[0]).version,
            "timeout": [version.timeout.status, version.timeout.run],
            "input_sample": client.models.get_version_input_sample("ed542963de", "1.0.1"),
            "output_sample": client.models.get_version_output_sample("ed542963de", "1.0.1"),
            "echo_output_sample": client.models.get_version_output_sample("echo", "1.0.0"),
        })
        """
    )
    for model in (out["by_name"], out["model"]):
        assert model["modelId"] == "ed542963de"
        assert model["name"] == "Sentiment Analysis"
        assert model["latestVersion"] == "1.0.1"
        assert "1.0.1" in model["versions"]
        assert {t["name"] for t in model["tags"]} >= {"sentiment"}
    assert out["by_name_latest"] == "1.0.1"
    assert out["from_model_object"] == "ed542963de"
    assert out["synced"] == "ed542963de"
    assert out["missing_name"]["type"] == "NotFoundError"
    assert "ed542963de" not in out["related"]
    assert "sleep" in out["related_echo"]  # both tagged "diagnostic"
    assert "echo" not in out["related_echo"]
    assert "ed542963de" not in out["related_echo"]
    assert out["related_via_model"] == out["related"]
    assert out["versions"] == ["1.0.1"]
    assert out["versions_via_model"] == ["1.0.1"]
    assert out["version_by_object"] == "1.0.1"

    version = out["version"]
    assert version["version"] == "1.0.1"
    [source] = version["inputs"]
    assert source["name"] == "input.txt"
    assert "text/plain" in source["acceptedMediaTypes"]
    assert isinstance(source["acceptedMediaTypes"], str)
    assert source["maximumSize"] > 0
    [output] = version["outputs"]
    assert output == {**output, "name": "results.json", "mediaType": "application/json"}
    status_ms, run_ms = out["timeout"]
    assert isinstance(status_ms, int) and status_ms > 0
    assert isinstance(run_ms, int) and run_ms > 0

    sample_in = out["input_sample"]
    assert sample_in["input"]["type"] == "text"
    assert sample_in["input"]["sources"]["my-input"]["input.txt"]
    sample_out = out["output_sample"]["results.json"]["data"]["result"]["classPredictions"]
    assert sample_out[0]["class"] == "positive"
    assert out["echo_output_sample"] == {"results.json": {"text": "hello"}}


def test_tags(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        tags = client.tags.get_all()
        one_tags, one_models = client.tags.get_tags_and_models("sentiment")
        two_tags, two_models = client.tags.get_tags_and_models(["sentiment", "diagnostic"])
        tag_object = [t for t in tags if t.identifier == "diagnostic"][0]
        by_object_tags, by_object_models = client.tags.get_tags_and_models(tag_object)
        emit({
            "tags": tags,
            "one": [[t.identifier for t in one_tags], [m.model_id for m in one_models]],
            "two": [
                sorted(t.identifier for t in two_tags),
                sorted(m.model_id for m in two_models),
            ],
            "by_object": [m.model_id for m in by_object_models],
        })
        """
    )
    by_id = {t["identifier"]: t for t in out["tags"]}
    assert {"sentiment", "text", "nlp", "diagnostic"} <= set(by_id)
    for tag in out["tags"]:
        assert set(tag) >= {"identifier", "name", "dataType", "isCategorical"}
    assert out["one"][0] == ["sentiment"]
    assert "ed542963de" in out["one"][1]
    assert not {"echo", "sleep"} & set(out["one"][1])
    assert out["two"][0] == ["diagnostic", "sentiment"]
    assert {"echo", "ed542963de", "sleep"} <= set(out["two"][1])
    assert {"echo", "sleep"} <= set(out["by_object"])
    assert "ed542963de" not in out["by_object"]


def test_processing_engines(sdk: SdkRunner) -> None:
    user_key = sdk.new_key("engine-watcher")
    out = sdk.run(
        """
        import time
        from modzy import ApiClient
        client = connect()  # the admin key
        details = client.models.get_model_processing_details("ed542963de", "1.0.1")
        unknown = client.models.get_model_processing_details("ed542963de", "9.9.9")
        before = client.models.get_minimum_engines()
        original = client.models.get_version("ed542963de", "1.0.1").processing

        updated = client.models.update_processing_engines("ed542963de", "1.0.1", 1, 3)
        after_update = client.models.get_version("ed542963de", "1.0.1").processing
        after_minimum = client.models.get_minimum_engines()

        # with a timeout the SDK polls the engines route until `ready` reaches the minimum
        started = time.monotonic()
        client.models.update_processing_engines(
            "ed542963de", "1.0.1", 1, 2, timeout=20, poll_rate=0.2
        )
        waited = time.monotonic() - started

        user = connect(key=P["user_key"])
        refused = capture(user.models.update_processing_engines, "ed542963de", "1.0.1", 5, 6)
        after_refused = client.models.get_version("ed542963de", "1.0.1").processing

        client.models.update_processing_engines(
            "ed542963de", "1.0.1",
            original["minimumParallelCapacity"], original["maximumParallelCapacity"],
        )
        emit({
            "details": details,
            "unknown": unknown,
            "before": before,
            "original": original,
            "updated": updated,
            "after_update": after_update,
            "after_minimum": after_minimum,
            "waited": waited,
            "refused": refused,
            "after_refused": after_refused,
            "restored": client.models.get_version("ed542963de", "1.0.1").processing,
            "restored_minimum": client.models.get_minimum_engines(),
        })
        """,
        params={"user_key": user_key},
    )
    details = out["details"]
    assert details["identifier"] == "ed542963de"
    assert details["version"] == "1.0.1"
    for field in ("ready", "failed", "queued", "spinningUp", "spinningDown", "running"):
        assert isinstance(details[field], int), field
    assert details["ready"] >= 1  # the server runs in-process workers for every model
    assert out["unknown"] is None
    assert isinstance(out["before"], int)
    assert out["updated"] is None  # timeout=0: returns at once
    assert out["after_update"] == {"minimumParallelCapacity": 1, "maximumParallelCapacity": 3}
    assert out["after_minimum"] == (out["before"] - out["original"]["minimumParallelCapacity"] + 1)
    assert out["waited"] < 5, "the SDK did not see ready >= min_engines on the engines route"
    # a non-admin key may not change engines: the SDK turns both refusals into ValueError
    assert out["refused"]["type"] == "ValueError"
    assert out["after_refused"] == {"minimumParallelCapacity": 1, "maximumParallelCapacity": 2}
    assert out["restored"] == out["original"]
    assert out["restored_minimum"] == out["before"]


def test_edit_model_metadata(sdk: SdkRunner) -> None:
    """GET the version, then PATCH it with the metadata; any JSON answer is enough."""
    out = sdk.run(
        """
        import json
        client = connect()
        edited = client.models.edit_model_metadata(
            "echo", "1.0.0", long_description="Echoes its input back.",
        )
        emit({
            "edited": edited,
            "model_data": json.loads(edited["model_data"]),
            "missing": capture(client.models.edit_model_metadata, "echo", "9.9.9"),
        })
        """
    )
    assert out["model_data"]["version"] == "1.0.0"
    assert out["edited"]["container_url"].endswith("/models/echo/1.0.0")
    assert out["missing"]["type"] == "NotFoundError"
