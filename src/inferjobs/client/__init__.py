"""HTTP client for an inferjobs server (the CLI's job commands use it)."""

from inferjobs.client.http import (
    TERMINAL_STATUSES,
    ApiError,
    InferJobsClient,
    Json,
    api_base,
    data_uri,
)

__all__ = ["TERMINAL_STATUSES", "ApiError", "InferJobsClient", "Json", "api_base", "data_uri"]
