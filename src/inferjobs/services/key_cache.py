"""Resolved API keys kept in memory on PostgreSQL, dropped the moment any key changes.

A trigger on `api_keys` and `users` sends a NOTIFY on KEYS_CHANNEL (delivered at commit); every
API process LISTENs and empties its cache. While the listening connection is down the cache is
off, so a revocation is never missed: a request then reads its key from the database. SQLite
has no such channel, so there every request reads its key (a local read, without a round trip).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from inferjobs.storage import notify

if TYPE_CHECKING:
    from inferjobs.services.keys import Principal

KEYS_CHANNEL = "inferjobs_keys"
MAX_KEYS = 10_000


class KeyCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, str], Principal] = OrderedDict()
        self._lock = threading.Lock()
        self._live = False
        self._generation = 0

    @property
    def live(self) -> bool:
        """Whether keys are held (PostgreSQL, with its LISTEN connection up)."""
        return self._live

    @property
    def generation(self) -> int:
        """Read before looking a key up in the database; `put` it with this value."""
        return self._generation

    def get(self, prefix: str, digest: str) -> Principal | None:
        with self._lock:
            return self._entries.get((prefix, digest)) if self._live else None

    def put(self, prefix: str, digest: str, who: Principal, generation: int) -> None:
        """Keep `who` unless keys changed since `generation` (the read may predate it)."""
        with self._lock:
            if not self._live or generation != self._generation:
                return
            self._entries[(prefix, digest)] = who
            if len(self._entries) > MAX_KEYS:
                self._entries.popitem(last=False)

    def clear(self, *, live: bool | None = None) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1
            if live is not None:
                self._live = live

    def watch(self, database_url: str, stop: threading.Event) -> threading.Thread:
        """Listen for key changes until `stop` is set (PostgreSQL only)."""
        thread = threading.Thread(
            target=notify.listen,
            args=(database_url, KEYS_CHANNEL, lambda: self.clear(live=True), stop),
            kwargs={"on_lost": lambda: self.clear(live=False)},
            name="key-cache",
            daemon=True,
        )
        thread.start()
        return thread
