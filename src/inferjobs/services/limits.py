"""Limits that protect the service: failed authentications per client, queued items per account."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import Connection, func, select

from inferjobs.domain.status import ACTIVE_JOB_STATUSES
from inferjobs.errors import TooManyRequests
from inferjobs.storage import job_rows
from inferjobs.storage.tables import jobs

MAX_TRACKED_CLIENTS = 10_000


class AuthThrottle:
    """Counts failed authentications per client address in a sliding window.

    Once a client has failed `limit` times within `window` seconds, every request it makes gets
    429 until the oldest failure leaves the window, valid key or not: a guesser cannot tell a
    hit from a miss. The state is per API process (a brute force spread over many processes
    meets each one's limit).
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise TooManyRequests if `client` is over its limit of failures."""
        if not self.limit:
            return
        with self._lock:
            recent = self._recent(client)
            if recent is None or len(recent) < self.limit:
                return
            wait = recent[0] + self.window - self.clock()
        raise TooManyRequests(
            f"too many failed authentications from this address: retry in {math.ceil(wait)} s",
            retry_after=max(1, math.ceil(wait)),
        )

    def failed(self, client: str) -> None:
        if not self.limit:
            return
        with self._lock:
            if client not in self._failures and len(self._failures) >= MAX_TRACKED_CLIENTS:
                self._forget_idle()
            self._failures.setdefault(client, deque()).append(self.clock())
            recent = self._failures[client]
            while len(recent) > self.limit:
                recent.popleft()

    def _recent(self, client: str) -> deque[float] | None:
        recent = self._failures.get(client)
        if recent is None:
            return None
        cutoff = self.clock() - self.window
        while recent and recent[0] < cutoff:
            recent.popleft()
        if not recent:
            del self._failures[client]
            return None
        return recent

    def _forget_idle(self) -> None:
        for client in list(self._failures):
            self._recent(client)
        if len(self._failures) >= MAX_TRACKED_CLIENTS:  # all active: drop the oldest half
            by_age = sorted(self._failures, key=lambda c: self._failures[c][-1])
            for client in by_age[: len(by_age) // 2]:
                del self._failures[client]


def queued_items(conn: Connection, account_id: str, excluding: str = "") -> int:
    """Items of the account's active jobs (but job `excluding`) that have no outcome yet: a sum
    over every active job of the account."""
    unfinished = jobs.c.total - jobs.c.completed - jobs.c.failed - jobs.c.canceled
    query = select(func.coalesce(func.sum(unfinished), 0)).where(
        jobs.c.account_id == account_id,
        jobs.c.status.in_(ACTIVE_JOB_STATUSES),
        jobs.c.id != excluding,
    )
    return int(conn.execute(query).scalar_one())


def check_queue_room(
    conn: Connection,
    account_id: str,
    job_id: str,
    reservation: job_rows.Reservation,
    adding: int,
    limit: int,
) -> None:
    """Refuse with 429 when job `job_id`'s `adding` items take the account over `limit` queued
    items.

    Call it after `job_rows.reserve` (or `insert_job_and_reserve`), which locked the account
    row (concurrent submits of the account are counted one after the other) and returned the
    account's queued-items bound with these items. The bound is never below the true count:
    every enqueue adds to it, and what lowers the count (outcomes, cancels, timeouts) leaves
    it alone. While it is within the limit nothing is counted; past it, the account's queued
    items are summed (O(active jobs)) and the sum becomes the new bound.
    """
    if not limit:
        return
    wanted = max(adding, 1)
    bound = reservation.queued_bound
    if bound is not None and bound - adding + wanted <= limit:
        return
    queued = queued_items(conn, account_id, excluding=job_id)
    if queued + wanted > limit:
        raise TooManyRequests(
            f"the account has {queued} items queued or running; {adding} more would pass its "
            f"limit of {limit}: retry when some have finished",
            retry_after=30,
        )
    job_rows.set_queued_bound(conn, account_id, queued + adding)
