"""PostgreSQL notifications. New work is announced to idle workers: a statement trigger on
`items` sends a NOTIFY on QUEUE_CHANNEL when items are inserted (delivered at commit); workers
LISTEN and wake their slots at once instead of waiting for their next poll. SQLite has no such
channel: its workers poll (and the in-process worker of `inferjobs serve` is woken directly).
Changed API keys are announced the same way (services/key_cache.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
QUEUE_CHANNEL = "inferjobs_queue"
RECONNECT_SECONDS = 1.0


def libpq_url(sqlalchemy_url: str) -> str:
    """`postgresql+psycopg://...` as a plain libpq URL."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def listen(
    url: str,
    channel: str,
    on_notify: Callable[[], None],
    stop: threading.Event,
    on_lost: Callable[[], None] = lambda: None,
) -> None:
    """Call `on_notify` for every notification on `channel` until `stop` is set, and once
    each time listening (re)starts, as notifications may have been missed; `on_lost` when
    the connection drops (it is retried every second)."""
    import psycopg

    while not stop.is_set():
        try:
            with psycopg.connect(libpq_url(url), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"LISTEN {channel}")
                on_notify()
                while not stop.is_set():
                    for _ in conn.notifies(timeout=RECONNECT_SECONDS, stop_after=1):
                        on_notify()
        except psycopg.Error as exc:
            on_lost()
            log.info("notifications on %s unavailable (%s); retrying", channel, exc)
            stop.wait(RECONNECT_SECONDS)
    on_lost()
