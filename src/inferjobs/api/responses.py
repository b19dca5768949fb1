"""JSON responses encoded once: a route returning one skips FastAPI's validation and
re-encoding of the returned object, which cost more than the route's own work."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def json_response(content: Any) -> Response:
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode(), media_type="application/json")
