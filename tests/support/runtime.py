"""An in-process Runtime on a real database, for service and queue tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inferjobs.config import Settings
from inferjobs.runtime import Runtime
from inferjobs.services.keys import Principal


def settings_for(database_url: str, data_dir: Path, **worker: Any) -> Settings:
    settings = Settings(data_dir=data_dir)
    settings.database.url = database_url
    for name, value in worker.items():
        setattr(settings.worker, name, value)
    return settings


@contextmanager
def runtime_for(database_url: str, data_dir: Path, **worker: Any) -> Iterator[Runtime]:
    runtime = Runtime.build(settings_for(database_url, data_dir, **worker))
    runtime.prepare()
    try:
        yield runtime
    finally:
        runtime.stop_workers(5)
        runtime.close()


def principal(runtime: Runtime, name: str = "tester", **options: Any) -> Principal:
    key = runtime.keys.create(name, **options)
    return runtime.keys.authenticate(f"ApiKey {key}")


def text_job(model: str, version: str, texts: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "model": {"identifier": model, "version": version},
        "explain": False,
        "input": {
            "type": "text",
            "sources": {name: {"input.txt": text} for name, text in texts.items()},
        },
        **extra,
    }
