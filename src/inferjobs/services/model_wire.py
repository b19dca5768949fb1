"""Wire shapes of models, versions and tags (GET /models...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import BadRequest
from inferjobs.services import wire
from inferjobs.services.catalog import VersionRecord

_TRUE = ("true", "1", "yes")


def tag(name: str) -> dict[str, Any]:
    return {"identifier": name, "name": name, "dataType": "Task", "isCategorical": False}


def requirement(spec: ModelSpec) -> dict[str, Any]:
    req = spec.requirement
    return {
        "requirementId": -6 if req.gpu_units else 1,
        "name": "GPU" if req.gpu_units else "CPU",
        "gpuUnits": req.gpu_units,
        "cpuAmount": f"{req.cpu_millis}m",
        "memoryAmount": f"{req.memory_mib}Mi",
    }


def model_details(versions: Sequence[VersionRecord]) -> dict[str, Any]:
    latest = versions[-1]
    spec = latest.spec
    return {
        "modelId": spec.identifier,
        "identifier": spec.identifier,
        "latestVersion": spec.version,
        "latestActiveVersion": spec.version,
        "versions": [v.spec.version for v in versions],
        "author": spec.author,
        "name": spec.name,
        "description": spec.description,
        "permalink": spec.identifier,
        "features": [],
        "isActive": True,
        "isRecommended": not spec.diagnostic,
        "isCommercial": False,
        "isExpired": False,
        "tags": [tag(t) for t in spec.tags],
        "images": [],
        "snapshotImages": [],
        "lastActiveDateTime": wire.timestamp(latest.updated_at),
        "createdByEmail": "",
        "createdByFullName": spec.author,
        "visibility": {"scope": "ALL", "teams": []},
    }


SUMMARY_FIELDS = (
    "modelId",
    "identifier",
    "latestVersion",
    "versions",
    "name",
    "author",
    "description",
    "isActive",
)


def summary(details: dict[str, Any]) -> dict[str, Any]:
    """The fields of a model that `GET /models` lists."""
    return {k: details[k] for k in SUMMARY_FIELDS}


def version(record: VersionRecord, versions: Sequence[VersionRecord]) -> dict[str, Any]:
    spec = record.spec
    return {
        "version": spec.version,
        "createdAt": wire.timestamp(record.created_at),
        "updatedAt": wire.timestamp(record.updated_at),
        "createdBy": spec.author,
        "inputValidationSchema": "",
        "timeout": {
            "status": spec.timeout_status_ms,
            "run": spec.timeout_run_ms,
            "job": spec.job_timeout_ms,
        },
        "requirement": requirement(spec),
        "containerImage": {
            "uploadStatus": "SUCCESS",
            "loadStatus": "SUCCESS",
            "uploadPercentage": 100,
            "loadPercentage": 100,
        },
        "inputs": [
            {
                "name": i.name,
                "acceptedMediaTypes": ", ".join(i.accepted_media_types),
                "maximumSize": i.maximum_size,
                "description": i.description,
            }
            for i in spec.inputs
        ],
        "outputs": [
            {
                "name": o.name,
                "mediaType": o.media_type,
                "maximumSize": o.maximum_size,
                "description": o.description,
            }
            for o in spec.outputs
        ],
        "statistics": [],
        "isActive": True,
        "isAvailable": True,
        "status": "active",
        "sourceType": "inferjobs.predictors",
        "longDescription": spec.long_description or spec.description,
        "technicalDetails": "",
        "performanceSummary": "",
        "maximumBatchSize": spec.max_batch_size,
        "canExplain": spec.can_explain,
        "imageClassificationModel": spec.image_classification,
        "diagnostic": spec.diagnostic,
        "sampleInput": spec.sample_input,
        "sampleOutput": spec.sample_output,
        "model": model_details(versions),
        "processing": record.processing,
    }


_FILTERS = ("modelId", "author", "createdByEmail", "name", "description")
_FLAGS = ("isActive", "isRecommended", "isExpired")


def filter_models(models: list[dict[str, Any]], params: Mapping[str, str]) -> list[dict[str, Any]]:
    """GET /models filters: text fields match case-insensitively by substring."""
    for name in _FILTERS:
        if text := params.get(name):
            models = [m for m in models if text.lower() in str(m[name]).lower()]
    for name in _FLAGS:
        if (flag := params.get(name)) is not None:
            wanted = _flag(name, flag)
            models = [m for m in models if bool(m[name]) == wanted]
    return models


def _flag(name: str, value: str) -> bool:
    if value.lower() not in (*_TRUE, "false", "0", "no"):
        raise BadRequest(f"{name}: expected true or false; got {value!r}")
    return value.lower() in _TRUE
