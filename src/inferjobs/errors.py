"""One exception tree for the whole service.

InferJobsError
 ├── ClientError (4xx: the caller can fix the request)
 │    ├── BadRequest            400
 │    ├── Unauthorized          401
 │    ├── Forbidden             403
 │    ├── NotFound              404
 │    ├── Conflict              409
 │    ├── Gone                  410
 │    ├── PayloadTooLarge       413
 │    └── TooManyRequests       429
 ├── ServiceUnavailable         503 (retry later: database down, shutting down)
 ├── ItemError                  one item failed; the rest of its job goes on
 └── ConfigError                bad settings at start-up
"""

from __future__ import annotations


class InferJobsError(Exception):
    status_code = 500
    code = "INTERNAL_SERVER_ERROR"
    retry_after: int | None = None  # seconds; sent as Retry-After (429 and 503)

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after


class ClientError(InferJobsError):
    status_code = 400
    code = "BAD_REQUEST"


class BadRequest(ClientError):
    pass


class Unauthorized(ClientError):
    status_code = 401
    code = "UNAUTHORIZED"


class Forbidden(ClientError):
    status_code = 403
    code = "FORBIDDEN"


class NotFound(ClientError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(ClientError):
    status_code = 409
    code = "CONFLICT"


class Gone(ClientError):
    status_code = 410
    code = "GONE"


class PayloadTooLarge(ClientError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class TooManyRequests(ClientError):
    status_code = 429
    code = "TOO_MANY_REQUESTS"
    retry_after = 5


class ServiceUnavailable(InferJobsError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"
    retry_after = 5


class ItemError(InferJobsError):
    """One item cannot be processed; its job continues with the other items."""


class ConfigError(InferJobsError):
    pass
