"""Logging set-up: text for people, JSON lines for machines; secrets are scrubbed either way."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_SECRETS = (
    re.compile(r"(?i)(apikey\s+)[^\s\"']+"),
    re.compile(
        r"(?i)((?:password|secret|secretaccesskey|storageaccountkey)[\"']?\s*[:=]\s*[\"']?)"
        r"[^\s\"',}]+"
    ),
    re.compile(r"(postgresql(?:\+\w+)?://[^:/@\s]+:)[^@\s]+(@)"),
)


def scrub(text: str) -> str:
    for pattern in _SECRETS:
        text = pattern.sub(
            lambda m: m.group(1) + "***" + (m.group(2) if m.lastindex == 2 else ""), text
        )
    return text


class _Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_Json())
    else:
        handler.setFormatter(_Text("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
