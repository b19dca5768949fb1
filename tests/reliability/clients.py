"""A client that retries as a careful user of the API would, and counts what it saw."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx

RETRYABLE_STATUS = {503}
TRANSPORT_ERRORS = (httpx.TransportError,)


class RetryingClient:
    """Retries on a dropped connection and on 503, with the same request (and its
    Idempotency-Key): the server must make a resend safe."""

    def __init__(self, base_url: str, key: str, deadline_seconds: float = 90) -> None:
        self.http = httpx.Client(
            base_url=base_url, timeout=15, headers={"Authorization": f"ApiKey {key}"}
        )
        self.deadline_seconds = deadline_seconds
        self.statuses: Counter[int] = Counter()
        self.transport_errors = 0
        self.retries = 0
        self.missing_retry_after = 0

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        deadline = time.monotonic() + self.deadline_seconds
        while True:
            try:
                response = self.http.request(method, path, **kw)
            except TRANSPORT_ERRORS:
                self.transport_errors += 1
                response = None
            if response is not None:
                self.statuses[response.status_code] += 1
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                if not response.headers.get("retry-after", "").isdigit():
                    self.missing_retry_after += 1
            assert time.monotonic() < deadline, f"{method} {path} kept failing"
            self.retries += 1
            time.sleep(0.2)  # Retry-After says 5 s; a test may be more eager

    def server_errors(self) -> int:
        """Responses with a 5xx status other than the retryable 503."""
        return sum(n for status, n in self.statuses.items() if status >= 500 and status != 503)

    def close(self) -> None:
        self.http.close()
