"""What a model version declares: inputs, outputs, timeouts, resources, batching."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_JOB_TIMEOUT_MS = 3_600_000


@dataclass(frozen=True)
class InputSpec:
    name: str
    accepted_media_types: tuple[str, ...] = ("text/plain",)
    maximum_size: int = 1_000_000
    description: str = ""
    required: bool = True


@dataclass(frozen=True)
class OutputSpec:
    name: str
    media_type: str = "application/json"
    maximum_size: int = 1_000_000
    description: str = ""


@dataclass(frozen=True)
class Requirement:
    cpu_millis: int = 1000
    memory_mib: int = 512
    gpu_units: int = 0


@dataclass(frozen=True)
class ModelSpec:
    identifier: str
    version: str
    name: str
    description: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    author: str = "inferjobs"
    tags: tuple[str, ...] = ()
    long_description: str = ""
    timeout_status_ms: int = 60_000  # time allowed to load the model
    timeout_run_ms: int = 30_000  # time allowed for one batch
    job_timeout_ms: int = DEFAULT_JOB_TIMEOUT_MS  # a job's default `timeout`
    requirement: Requirement = field(default_factory=Requirement)
    max_batch_size: int = 16
    max_batch_wait_ms: int = 0  # wait this long for a fuller batch when the queue is short
    can_explain: bool = False
    image_classification: bool = False
    diagnostic: bool = False
    sample_input: dict[str, Any] = field(default_factory=dict)
    sample_output: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return model_key(self.identifier, self.version)

    def input(self, name: str) -> InputSpec | None:
        return next((spec for spec in self.inputs if spec.name == name), None)

    def output(self, name: str) -> OutputSpec | None:
        return next((spec for spec in self.outputs if spec.name == name), None)


def model_key(identifier: str, version: str) -> str:
    return f"{identifier}:{version}"
