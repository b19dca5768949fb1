"""Jobs whose items live in S3, Azure Blob or a database: validate, quick-check, plan.

Per-object sources (aws-s3, storage-grid, azureblob) become items holding references, fetched
by workers. Folders (aws-s3-folder) and queries (jdbc) are expanded into items lazily by workers
(`worker/expander.py`), so the submit request never lists or reads them whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inferjobs.config import Settings
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import BadRequest, ItemError, PayloadTooLarge
from inferjobs.sources import azure, jdbc, s3
from inferjobs.sources.network import HostPolicy
from inferjobs.sources.stores import open_store

OBJECT_TYPES = ("aws-s3", "storage-grid", "azureblob")
EXPANDED_TYPES = ("aws-s3-folder", "jdbc")


@dataclass
class RefItem:
    name: str
    refs: dict[str, dict[str, str]]  # model input -> object reference


@dataclass
class Plan:
    config: dict[str, Any]  # sealed with the job (holds the credentials)
    items: list[RefItem] = field(default_factory=list)
    expansion: dict[str, Any] | None = None  # the first cursor of a lazy expansion


def plan(payload: Mapping[str, Any], spec: ModelSpec, settings: Settings) -> Plan:
    kind = str(payload.get("type"))
    policy = HostPolicy.parse(settings.sources.allowed_hosts)
    if kind == "jdbc":
        return _jdbc(payload, spec, settings, policy)
    config = (
        azure.settings(payload, policy, settings.sources.azure_endpoint)
        if kind == "azureblob"
        else s3.settings(payload, kind, policy, settings.sources.s3_endpoint)
    )
    sources = _sources(payload, kind)
    if kind == "aws-s3-folder":
        return _folder(config, sources, spec, settings)
    items = [_ref_item(name, values, kind, spec) for name, values in sources.items()]
    if len(items) > settings.api.max_items_per_job:
        raise PayloadTooLarge(
            f"input.sources: {len(items)} items is over the limit of "
            f"{settings.api.max_items_per_job} per job"
        )
    _check_objects(config, items, spec, settings)
    return Plan(config, items)


def _sources(payload: Mapping[str, Any], kind: str) -> dict[str, Any]:
    sources = payload.get("sources")
    if not isinstance(sources, dict) or not sources:
        raise BadRequest("input.sources: expected an object naming at least one item")
    leaf = {"container", "filePath"} if kind == "azureblob" else {"bucket", "key"}
    if all(isinstance(v, dict) and leaf <= set(v) for v in sources.values()):
        # modzy-sdk sends one item unwrapped, {"input.txt": {"bucket", "key"}}: name it "job"
        return {"job": sources}
    return sources


def _ref_item(name: str, values: Any, kind: str, spec: ModelSpec) -> RefItem:
    if not isinstance(values, dict) or not values:
        raise BadRequest(
            f"item '{name}': expected an object mapping model input names to object references"
        )
    refs = {}
    for input_name, value in values.items():
        where = f"item '{name}', input '{input_name}'"
        if spec.input(input_name) is None:
            inputs = ", ".join(i.name for i in spec.inputs)
            raise BadRequest(
                f"{where}: model {spec.identifier} {spec.version} has no input "
                f"'{input_name}'; its inputs: {inputs}"
            )
        refs[input_name] = (
            azure.blob_ref(value, where) if kind == "azureblob" else s3.object_ref(value, where)
        )
    missing = [i.name for i in spec.inputs if i.required and i.name not in refs]
    if missing:
        raise BadRequest(f"item '{name}': missing input {', '.join(map(repr, missing))}")
    return RefItem(name, refs)


def _check_objects(
    config: dict[str, Any], items: list[RefItem], spec: ModelSpec, settings: Settings
) -> None:
    """Quick checks: the first objects exist, are readable with the credentials, fit."""
    store = open_store(config, settings.sources.check_timeout_ms / 1000)
    checked = 0
    for item in items:
        for input_name, ref in item.refs.items():
            if checked >= max(1, settings.sources.check_items_max):
                return
            checked += 1
            where = f"item '{item.name}', input '{input_name}'"
            try:
                size = store.size(ref)
            except ItemError as exc:
                raise BadRequest(f"{where}: {exc.message}") from None
            limit = spec.input(input_name).maximum_size  # type: ignore[union-attr]
            if size > limit:
                raise PayloadTooLarge(
                    f"{where}: {size} bytes is over the input's maximum size of {limit} bytes"
                )


def _folder(
    config: dict[str, Any], sources: dict[str, Any], spec: ModelSpec, settings: Settings
) -> Plan:
    folders = []
    store = s3.S3Store(config, settings.sources.check_timeout_ms / 1000)
    for name, values in sources.items():
        item = _ref_item(name, values, "aws-s3", spec)
        for input_name, ref in item.refs.items():
            prefix = ref["key"]
            try:
                keys, _ = store.list_page(ref["bucket"], prefix, "", 1)
            except ItemError as exc:
                raise BadRequest(f"item '{name}', input '{input_name}': {exc.message}") from None
            if not keys:
                raise BadRequest(
                    f"item '{name}', input '{input_name}': the folder "
                    f"s3://{ref['bucket']}/{prefix} is empty"
                )
        folders.append({"name": name, "inputs": item.refs})
    return Plan(
        config, expansion={"kind": "aws-s3-folder", "folders": folders, "folder": 0, "after": ""}
    )


def _jdbc(
    payload: Mapping[str, Any], spec: ModelSpec, settings: Settings, policy: HostPolicy
) -> Plan:
    config = jdbc.settings(payload, policy, settings.sources.sqlite_dir)
    query = jdbc.Query(
        config, policy, settings.sources.sqlite_dir, settings.sources.check_timeout_ms
    )
    try:
        columns, has_rows = query.columns_and_first_row()
    except ItemError as exc:
        raise BadRequest(f"input.query: {exc.message}") from None
    except Exception as exc:
        raise BadRequest(f"input.query: {jdbc.describe(exc)}") from None
    finally:
        query.close()
    inputs = [i.name for i in spec.inputs]
    if not set(columns) & set(inputs):
        raise BadRequest(
            f"input.query: its columns ({', '.join(columns)}) match no input of "
            f"model {spec.identifier} {spec.version}; alias them as: "
            f'{", ".join(inputs)} (e.g. SELECT x AS "{inputs[0]}")'
        )
    missing = [i.name for i in spec.inputs if i.required and i.name not in columns]
    if missing:
        raise BadRequest(f"input.query: no column for the required input(s) {', '.join(missing)}")
    if not has_rows:
        raise BadRequest("input.query: the query returned no rows")
    return Plan(config, expansion={"kind": "jdbc", "columns": columns})
