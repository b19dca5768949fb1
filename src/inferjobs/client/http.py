"""A small typed HTTP client for the inferjobs (Modzy-compatible) API."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from inferjobs import __version__
from inferjobs.errors import InferJobsError

Json = dict[str, Any]
TERMINAL_STATUSES = frozenset({"COMPLETED", "CANCELED", "TIMEDOUT", "ERROR"})
OCTET_STREAM = "application/octet-stream"
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")
# history() keyword -> query parameter, in the order the Modzy SDK sends them
_HISTORY_PARAMS = {
    "user": "user",
    "access_key": "accessKey",
    "start_date": "startDate",
    "end_date": "endDate",
    "model": "model",
    "status": "status",
    "sort_by": "sort-by",
    "direction": "direction",
    "page": "page",
    "per_page": "per-page",
}


class ApiError(InferJobsError):
    """The server answered with an error, or could not be reached (status_code 0)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code


def api_base(url: str) -> str:
    """The API root for a server URL given with or without `/api` (and without a scheme)."""
    text = url.strip().rstrip("/")
    if not text:
        raise ValueError("the server URL is empty")
    if "://" not in text:
        text = f"http://{text}"
    return text if text.endswith("/api") else f"{text}/api"


def data_uri(data: bytes, media_type: str = OCTET_STREAM) -> str:
    """`data` as a `data:<mime>;base64,...` value for an embedded source."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


class InferJobsClient:
    """Talks to one server with one API key. Every failure raises `ApiError`."""

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = api_base(url)
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            headers={
                "Authorization": f"ApiKey {api_key}",
                "Accept": "application/json",
                "User-Agent": f"inferjobs-client/{__version__}",
            },
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> InferJobsClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # models

    def models(self) -> list[Json]:
        return _array(self._request("GET", "models", params={"per-page": 1000}))

    def model(self, model_id: str) -> Json:
        return _object(self._request("GET", f"models/{_seg(model_id)}"))

    def version(self, model_id: str, version: str) -> Json:
        return _object(self._request("GET", f"models/{_seg(model_id)}/versions/{_seg(version)}"))

    # jobs

    def submit_text(
        self,
        model: str,
        version: str,
        items: Mapping[str, Mapping[str, str]],
        explain: bool = False,
        timeout_ms: int | None = None,
    ) -> Json:
        """Submit a job of text items: {item name: {model input name: text}}."""
        sources = {name: dict(values) for name, values in items.items()}
        return self._submit(model, version, "text", sources, explain, timeout_ms)

    def submit_embedded(
        self,
        model: str,
        version: str,
        items: Mapping[str, Mapping[str, bytes]],
        explain: bool = False,
        timeout_ms: int | None = None,
        media_type: str = OCTET_STREAM,
    ) -> Json:
        """Submit a job of byte items, sent as data URIs (octet-stream: the server detects)."""
        sources = {
            name: {input_name: data_uri(data, media_type) for input_name, data in values.items()}
            for name, values in items.items()
        }
        return self._submit(model, version, "embedded", sources, explain, timeout_ms)

    def _submit(
        self,
        model: str,
        version: str,
        kind: str,
        sources: dict[str, dict[str, str]],
        explain: bool,
        timeout_ms: int | None,
    ) -> Json:
        body: Json = {
            "model": {"identifier": model, "version": version},
            "explain": explain,
            "input": {"type": kind, "sources": sources},
        }
        if timeout_ms is not None:
            body["timeout"] = timeout_ms
        return _object(self._request("POST", "jobs", json=body))

    def job(self, job_id: str) -> Json:
        return _object(self._request("GET", f"jobs/{_seg(job_id)}"))

    def results(self, job_id: str) -> Json:
        return _object(self._request("GET", f"results/{_seg(job_id)}"))

    def cancel(self, job_id: str) -> Json:
        return _object(self._request("DELETE", f"jobs/{_seg(job_id)}"))

    def history(self, **filters: str | int | None) -> tuple[list[Json], bool]:
        """One page of job history and whether a next page exists.

        Filters: user, access_key, start_date, end_date, model, status, sort_by, direction,
        page, per_page; None leaves a filter out.
        """
        unknown = sorted(set(filters) - set(_HISTORY_PARAMS))
        if unknown:
            raise TypeError(f"unknown history filters: {', '.join(unknown)}")
        params = {
            _HISTORY_PARAMS[name]: str(value)
            for name, value in filters.items()
            if value is not None
        }
        response = self._send("GET", "jobs/history", params=params)
        return _array(_decode(response)), "next" in response.links

    # transport

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return _decode(self._send(method, path, **kwargs))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            timeout = self._http.timeout.read
            raise ApiError(0, f"no answer from {self.base_url} within {timeout} s") from None
        except httpx.HTTPError as exc:
            raise ApiError(0, f"cannot reach {self.base_url}: {_reason(exc)}") from None
        if response.is_error:
            raise ApiError(response.status_code, _error_message(response))
        return response


def _seg(value: str) -> str:
    """One URL path segment: an id holding '/' or '?' must not change the route."""
    return quote(value, safe="")


def _reason(exc: Exception) -> str:
    text = _ERRNO.sub("", str(exc)).strip() or type(exc).__name__
    return text[:1].lower() + text[1:]


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    return f"HTTP {response.status_code} {response.reason_phrase} from {response.request.url}"


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise ApiError(
            response.status_code, f"the server did not answer JSON at {response.request.url}"
        ) from None


def _object(value: Any) -> Json:
    if not isinstance(value, dict):
        raise ApiError(200, f"expected a JSON object from the server; got {type(value).__name__}")
    return value


def _array(value: Any) -> list[Json]:
    if not isinstance(value, list):
        raise ApiError(200, f"expected a JSON array from the server; got {type(value).__name__}")
    return value
