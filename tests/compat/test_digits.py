"""The digits model through modzy-sdk: embedded PNGs with explain=True, explanation, thumbnail."""

from __future__ import annotations

from pathlib import Path

from inferjobs.predictors.digits import held_out
from tests.compat.runner import SdkRunner
from tests.models.images import digit_png


def test_embedded_pngs_with_explanation_and_thumbnail(sdk: SdkRunner, tmp_path: Path) -> None:
    images, labels = held_out()
    paths = {}
    for n in range(12):
        path = tmp_path / f"digit-{n}.png"
        path.write_bytes(digit_png(images[n], size=48))
        paths[f"digit-{n}"] = str(path)
    out = sdk.run(
        """
        import requests
        client = connect()
        sources = {name: {"image": open(path, "rb").read()} for name, path in P["paths"].items()}
        job = client.jobs.submit_embedded("digits", "1.0.0", sources, explain=True)
        job.block_until_complete(timeout=90, poll_interval=0.2)
        result = client.results.block_until_complete(job, timeout=90, poll_interval=0.2)
        first = result.get_source_outputs("digit-0")
        headers = {"Authorization": "ApiKey " + KEY}
        thumb = requests.get(first["thumbnail-image.png"], headers=headers)
        heat = requests.get(first["explanation.png"], headers=headers)
        emit({
            "status": job.status,
            "image_model": dict(client.jobs.get(job.job_identifier))["imageClassificationModel"],
            "top": {name: result.get_source_outputs(name)["results.json"]["data"]["result"]
                    ["classPredictions"][0]["class"] for name in sources},
            "explanation": first["results.json"]["data"]["explanation"],
            "thumb": [thumb.status_code, thumb.headers["content-type"], thumb.content[:8].hex()],
            "heat": [heat.status_code, heat.headers["content-type"]],
        })
        """,
        params={"paths": paths},
    )
    assert out["status"] == "COMPLETED"
    assert out["image_model"] is True
    correct = sum(out["top"][f"digit-{n}"] == str(labels[n]) for n in range(12))
    assert correct >= 11
    assert len(out["explanation"]["attributionMap"]) == 8
    assert out["explanation"]["class"] == out["top"]["digit-0"]
    assert out["thumb"] == [200, "image/png", "89504e470d0a1a0a"]
    assert out["heat"] == [200, "image/png"]
