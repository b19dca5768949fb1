"""Runs one test script under the modzy-sdk virtual environment (never imported by pytest).

Usage: `<venv python> sdk_harness.py <script.py>`, with the JSON context in the environment
variable COMPAT_CONTEXT: {"url", "api", "key", "params"}.

The script runs with these names predefined:

* `URL` (no /api), `API` (with /api), `KEY` (the key the test chose), `P` (the test's params)
* `connect(key=KEY, base_url=API)`: a `modzy.ApiClient`
* `emit(value)`: hand a JSON-serialisable value back to the test (call it once)
* `capture(fn, *args, **kwargs)`: call fn; describe the exception it raises (or that it did not)
* `checkpoint(name, data=None)`: stop until the test has acted (e.g. revoked a key); returns the
  test's JSON reply
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

RESULT = "@@compat-result@@ "
CHECKPOINT = "@@compat-checkpoint@@ "


def _dump(value: Any) -> str:
    return json.dumps(value, default=repr)


def emit(value: Any) -> None:
    print(RESULT + _dump(value), flush=True)


def checkpoint(name: str, data: Any = None) -> Any:
    print(CHECKPOINT + _dump({"name": name, "data": data}), flush=True)
    reply = sys.stdin.readline()
    if not reply:
        raise RuntimeError(f"checkpoint {name}: the test closed stdin without replying")
    return json.loads(reply)


def capture(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """What calling fn raised: class name, module, message, HTTP status; or its return value."""
    try:
        value = fn(*args, **kwargs)
    except Exception as exc:
        response = getattr(exc, "response", None)
        return {
            "raised": True,
            "type": type(exc).__name__,
            "module": type(exc).__module__,
            "message": str(exc),
            "status": getattr(response, "status_code", None),
        }
    return {"raised": False, "value": json.loads(_dump(value))}


def main() -> None:
    context = json.loads(os.environ["COMPAT_CONTEXT"])
    from modzy import ApiClient

    def connect(key: str | None = None, base_url: str | None = None) -> ApiClient:
        return ApiClient(base_url=base_url or context["api"], api_key=key or context["key"])

    path = sys.argv[1]
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    namespace = {
        "__name__": "__compat_script__",
        "URL": context["url"],
        "API": context["api"],
        "KEY": context["key"],
        "P": context["params"],
        "connect": connect,
        "emit": emit,
        "capture": capture,
        "checkpoint": checkpoint,
    }
    try:
        exec(compile(source, path, "exec"), namespace)
    except Exception:
        traceback.print_exc()
        sys.exit(1)


if __name__ == "__main__":
    main()
