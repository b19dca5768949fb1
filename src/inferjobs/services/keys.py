"""API keys: `<prefix>.<secret>`; only a SHA-256 hash of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from inferjobs.errors import NotFound, Unauthorized
from inferjobs.services.key_cache import KeyCache
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import accounts, api_keys, users

_ALPHABET = string.ascii_letters + string.digits
DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a valid, unrevoked API key."""

    prefix: str
    user_id: str
    account_id: str
    is_admin: bool
    high_priority: bool
    first_name: str = ""
    last_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    name: str
    account_id: str
    is_admin: bool
    high_priority: bool
    created_at: int
    revoked_at: int | None


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@cache
def _key_query() -> Any:
    return (
        select(
            api_keys.c.secret_hash,
            api_keys.c.user_id,
            api_keys.c.account_id,
            api_keys.c.is_admin,
            api_keys.c.high_priority,
            users.c.first_name,
            users.c.last_name,
            users.c.email,
        )
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.prefix == bindparam("prefix"), api_keys.c.revoked_at.is_(None))
    )


class KeyService:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.cache = KeyCache()

    def create(
        self,
        name: str,
        *,
        admin: bool = False,
        high_priority: bool = False,
        account: str = DEFAULT_ACCOUNT,
        email: str = "",
    ) -> str:
        """Create a key (and its account and user when new); returns the full key once."""
        prefix, secret = _random(20), _random(32)
        now = now_ms()
        user_id = f"user-{prefix}"
        with self.db.write() as conn:
            if conn.execute(select(accounts.c.id).where(accounts.c.id == account)).first() is None:
                conn.execute(
                    insert(accounts).values(id=account, name=account, fair_clock=0, created_at=now)
                )
            conn.execute(
                insert(users).values(
                    id=user_id,
                    account_id=account,
                    first_name=name,
                    last_name="",
                    email=email,
                    status="ACTIVE",
                    created_at=now,
                )
            )
            conn.execute(
                insert(api_keys).values(
                    prefix=prefix,
                    secret_hash=_hash(secret),
                    name=name,
                    user_id=user_id,
                    account_id=account,
                    is_admin=admin,
                    high_priority=high_priority,
                    created_at=now,
                )
            )
        return f"{prefix}.{secret}"

    def list(self) -> list[KeyInfo]:
        query = select(
            api_keys.c.prefix,
            api_keys.c.name,
            api_keys.c.account_id,
            api_keys.c.is_admin,
            api_keys.c.high_priority,
            api_keys.c.created_at,
            api_keys.c.revoked_at,
        ).order_by(api_keys.c.created_at)
        with self.db.read() as conn:
            return [KeyInfo(*row) for row in conn.execute(query)]

    def revoke(self, prefix: str) -> None:
        with self.db.write() as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now_ms())
            )
        self.cache.clear()  # other processes hear of it from the database
        if not done.rowcount:
            raise NotFound(f"no active API key with prefix {prefix}")

    def is_valid(self, key: str) -> bool:
        try:
            self.authenticate(f"ApiKey {key}")
        except Unauthorized:
            return False
        return True

    def cached(self, header: str | None) -> Principal | None:
        """The caller from memory, without touching the database; None if not held."""
        if not self.cache.live:
            return None
        prefix, digest = _credentials(header)
        return self.cache.get(prefix, digest)

    def authenticate(self, header: str | None) -> Principal:
        """Resolve an `Authorization: ApiKey <prefix>.<secret>` header."""
        prefix, digest = _credentials(header)
        known = self.cache.get(prefix, digest)
        if known is not None:
            return known
        generation = self.cache.generation
        with self.db.read() as conn:
            row = conn.execute(_key_query(), {"prefix": prefix}).first()
        if row is None or not hmac.compare_digest(row.secret_hash, digest):
            raise Unauthorized("invalid or revoked API key")
        who = Principal(
            prefix,
            row.user_id,
            row.account_id,
            row.is_admin,
            row.high_priority,
            row.first_name,
            row.last_name,
            row.email,
        )
        self.cache.put(prefix, digest, who, generation)
        return who


def _credentials(header: str | None) -> tuple[str, str]:
    """The key prefix and the hash of the secret of an `ApiKey <prefix>.<secret>` header."""
    scheme, _, key = (header or "").strip().partition(" ")
    if scheme.lower() not in ("apikey", "bearer") or not key.strip():
        raise Unauthorized("missing API key: send the header 'Authorization: ApiKey <key>'")
    prefix, dot, secret = key.strip().partition(".")
    if not dot or not prefix or not secret:
        raise Unauthorized("invalid API key: expected '<prefix>.<secret>'")
    return prefix, _hash(secret)
