"""Apply the Alembic migrations (on start and by `inferjobs db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from inferjobs.storage.db import Database

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    config = alembic_config(db)
    # Concurrent start-ups are serialised: SQLite by its write lock, PostgreSQL by an advisory
    # lock. The first process migrates; the others then find nothing to do.
    with db.write() as conn:
        if not db.is_sqlite:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(74201)")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
