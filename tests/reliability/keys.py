"""Keys made straight in a test server's database: the CLI takes seconds to start."""

from __future__ import annotations

from typing import Any

from inferjobs.services.keys import KeyService
from inferjobs.storage.db import Database
from tests.api.conftest import Api


def make_key(api: Api, name: str, **options: Any) -> str:
    """Create a key straight in the server's database (the CLI takes seconds to start)."""
    return KeyService(_database(api)).create(name, **options)


def revoke_key(api: Api, key: str) -> None:
    KeyService(_database(api)).revoke(key.split(".")[0])


_DATABASES: dict[str, Database] = {}


def _database(api: Api) -> Database:
    url = api.server.env.get("INFERJOBS_DATABASE__URL") or (
        f"sqlite:///{api.server.data_dir / 'inferjobs.db'}"
    )
    if url not in _DATABASES:
        _DATABASES[url] = Database(url, pool_size=2)
    return _DATABASES[url]


def dispose() -> None:
    for database in _DATABASES.values():
        database.dispose()
    _DATABASES.clear()
