"""Settings: built once by the app, worker or CLI and passed down; never a global."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    url: str = ""  # empty: a SQLite file inside data_dir
    pool_size: int = Field(default=10, ge=1)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)


class ApiSettings(BaseModel):
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    chunk_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_chunks_per_input: int = Field(default=1024, ge=1)
    max_items_per_job: int = Field(default=100_000, ge=1)
    history_max_per_page: int = Field(default=1000, ge=1)
    job_inputs_limit: int = Field(default=1000, ge=0)  # item names listed in job objects
    public_url: str = ""  # base URL used in result links; empty: taken from the request
    # Backpressure: items an account may have queued or running (429 above it); 0: no limit.
    max_queued_items_per_account: int = Field(default=1_000_000, ge=0)
    # Failed authentications one client address may make per window before 429; 0: no limit.
    auth_failures_max: int = Field(default=30, ge=0)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)


class WorkerSettings(BaseModel):
    lease_seconds: float = Field(default=30.0, gt=0)
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    poll_seconds: float = Field(default=0.25, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    batch_size: int = Field(default=0, ge=0)  # 0: each model's own maximum
    models: list[str] = Field(default_factory=list)  # "id:version"; empty: all installed
    stop_grace_seconds: float = Field(default=20.0, ge=0)
    slots: int = Field(default=0, ge=0)  # concurrent batches per worker; 0: one per CPU core
    cpus: float = Field(default=0, ge=0)  # 0: detect
    memory_mib: int = Field(default=0, ge=0)  # 0: detect
    gpus: int = Field(default=-1, ge=-1)  # -1: detect
    model_memory_limit_mib: int = Field(default=0, ge=0)  # 0: twice the model's requirement

    @model_validator(mode="after")
    def _heartbeat_inside_lease(self) -> WorkerSettings:
        if self.heartbeat_seconds >= self.lease_seconds:
            raise ValueError("worker.heartbeat_seconds must be shorter than worker.lease_seconds")
        return self


class SourcesSettings(BaseModel):
    allowed_hosts: str = ""  # comma-separated names, addresses, CIDR ranges (besides public)
    secret_key: str = ""  # Fernet key for job credentials; empty: a key file in data_dir
    sqlite_dir: str = ""  # JDBC SQLite databases allowed below this directory; empty: none
    s3_endpoint: str = ""  # for aws-s3 jobs that name no endpoint; empty: AWS
    azure_endpoint: str = ""  # e.g. http://azurite:10000/{account}; empty: Azure
    statement_timeout_ms: int = Field(default=300_000, ge=1000)
    check_timeout_ms: int = Field(default=10_000, ge=100)  # quick checks at submit
    page_size: int = Field(default=1000, ge=1, le=10_000)
    check_items_max: int = Field(default=20, ge=0)  # objects checked one by one at submit


class RetentionSettings(BaseModel):
    """How long after a job finished its inputs and its results are kept; 0 keeps them."""

    input_hours: float = Field(default=0, ge=0)
    result_hours: float = Field(default=0, ge=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFERJOBS_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path("data")
    inline_value_max_bytes: int = Field(default=64 * 1024, ge=0)
    hide_diagnostic_models: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'inferjobs.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def default_key_file(self) -> Path:
        return self.data_dir / "default-api-key"
