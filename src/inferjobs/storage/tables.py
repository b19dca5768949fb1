"""The schema. Times are epoch milliseconds (BIGINT): portable, sortable, no time zones."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER only

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("fair_clock", BigInteger, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    # an upper bound of the account's queued items (services.limits); NULL: count them
    Column("queued_bound", BigInteger, nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("first_name", String(200), nullable=False, default=""),
    Column("last_name", String(200), nullable=False, default=""),
    Column("email", String(320), nullable=False, default=""),
    Column("status", String(20), nullable=False, default="ACTIVE"),
    Column("created_at", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("prefix", String(64), primary_key=True),
    Column("secret_hash", String(128), nullable=False),
    Column("name", String(200), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("high_priority", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

models = Table(
    "models",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("tags", JSON, nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("model_id", ForeignKey("models.id"), primary_key=True),
    Column("version", String(50), primary_key=True),
    Column("spec", JSON, nullable=False),  # the ModelSpec as the wire shows it
    Column("processing", JSON, nullable=False),
    Column("is_installed", Boolean, nullable=False, default=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("key_prefix", ForeignKey("api_keys.prefix"), nullable=False),
    Column("model_id", String(100), nullable=False),
    Column("model_version", String(50), nullable=False),
    Column("model_name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("input_type", String(30), nullable=False, default=""),
    Column("explain", Boolean, nullable=False, default=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("timeout_ms", BigInteger, nullable=False),
    Column("input_bytes", BigInteger, nullable=False, default=0),
    Column("total", Integer, nullable=False, default=0),
    Column("completed", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("canceled", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
    Column("expanding", Boolean, nullable=False, default=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("submitted_at", BigInteger, nullable=True),
    Column("started_at", BigInteger, nullable=True),
    Column("finished_at", BigInteger, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    Column("inputs_purged_at", BigInteger, nullable=True),  # retention deleted the inputs
    Column("results_purged_at", BigInteger, nullable=True),  # retention deleted the results
    Index("ix_jobs_key_created_id", "key_prefix", "created_at", "id"),
    Index("ix_jobs_account_created_id", "account_id", "created_at", "id"),
    Index("ix_jobs_status", "status"),
    Index("ix_jobs_account_status", "account_id", "status"),
    UniqueConstraint("key_prefix", "idempotency_key", name="uq_jobs_key_idempotency"),
)

items = Table(
    "items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", ForeignKey("jobs.id"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("model_key", String(160), nullable=False),
    Column("status", String(20), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("fair_rank", BigInteger, nullable=False),  # fair queueing across accounts
    Column("fence", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", BigInteger, nullable=True),
    Column("input_bytes", BigInteger, nullable=False, default=0),
    Column("queued_at", BigInteger, nullable=False),
    Column("started_at", BigInteger, nullable=True),
    UniqueConstraint("job_id", "name", name="uq_items_job_name"),
    # In claim order, so the head of a model's queue is found without sorting.
    Index("ix_items_queue_order", "status", "model_key", text("priority DESC"), "fair_rank", "id"),
    Index("ix_items_lease", "status", "lease_expires_at"),
)

item_values = Table(
    "item_values",
    metadata,
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("input_name", String(200), primary_key=True),
    Column("media_type", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=True),  # small values inline
    Column("blob_key", String(300), nullable=True),  # large values in the blob store
    Column("ref", JSON, nullable=True),  # or an object in the job's external source
)

job_secrets = Table(
    "job_secrets",
    metadata,
    # A job's external source settings with its credentials, encrypted; deleted when it ends.
    Column("job_id", ForeignKey("jobs.id"), primary_key=True),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

expansions = Table(
    "expansions",
    metadata,
    # Sources listed lazily by workers (S3 folders, JDBC queries): one row per job.
    Column("job_id", ForeignKey("jobs.id"), primary_key=True),
    Column("state", String(20), nullable=False),  # pending, running, done
    Column("cursor", JSON, nullable=True),
    Column("items_added", BigInteger, nullable=False, default=0),
    Column("fence", Integer, nullable=False, default=0),
    Column("lease_owner", String(100), nullable=True),
    Column("lease_expires_at", BigInteger, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_expansions_state", "state", "lease_expires_at"),
)

results = Table(
    "results",
    metadata,
    # The primary key is the item: a second result for one item cannot be written.
    Column("item_id", ForeignKey("items.id"), primary_key=True),
    Column("job_id", String(36), nullable=False, index=True),
    Column("status", String(20), nullable=False),  # SUCCESSFUL, FAILED, CANCELED, TIMEDOUT
    Column("outputs", JSON, nullable=True),  # output name -> JSON value or {"blob": key}
    Column("error", Text, nullable=True),
    Column("engine", String(200), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("queue_ms", BigInteger, nullable=True),
    Column("model_latency_ms", Float, nullable=True),
    Column("fetch_ms", BigInteger, nullable=True),
    Column("started_at", BigInteger, nullable=True),
    Column("ended_at", BigInteger, nullable=False),
)

upload_chunks = Table(
    "upload_chunks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", ForeignKey("jobs.id"), nullable=False),
    Column("source_name", String(500), nullable=False),
    Column("input_name", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("blob_key", String(300), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("idempotency_key", String(200), nullable=True),  # a resent chunk is stored once
    Index("ix_upload_chunks_job", "job_id", "source_name", "input_name", "id"),
    UniqueConstraint("job_id", "idempotency_key", name="uq_upload_chunks_job_idempotency"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("hostname", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("models", JSON, nullable=False),
    Column("capacity", JSON, nullable=True),
    Column("status", String(20), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("heartbeat_at", BigInteger, nullable=False),
)
