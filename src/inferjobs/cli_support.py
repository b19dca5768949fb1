"""Shared pieces of the CLI's HTTP commands: options, the client session, formatting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from inferjobs.client import ApiError, InferJobsClient
from inferjobs.config import Settings

DEFAULT_URL = "http://127.0.0.1:8000"

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="INFERJOBS_URL", help="Server URL, with or without /api."),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="INFERJOBS_API_KEY",
        show_default=False,
        help="API key; default: the key `inferjobs serve` saved in its data directory.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the JSON object instead.")]


def fail(code: int, message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def resolve_key(api_key: str | None) -> str:
    """--api-key / INFERJOBS_API_KEY, else the key file of a local `inferjobs serve`."""
    if api_key and api_key.strip():
        return api_key.strip()
    try:
        path = Settings().default_key_file
    except ValueError as exc:
        fail(2, f"invalid settings: {exc}")
    try:
        key = path.read_text().strip()
    except OSError:
        key = ""
    if not key:
        fail(
            2,
            f"no API key: pass --api-key or set INFERJOBS_API_KEY (no key file at {path}; "
            "`inferjobs serve` writes one there on first start)",
        )
    return key


@contextmanager
def session(url: str, api_key: str | None) -> Iterator[InferJobsClient]:
    """A client for the command; any ApiError ends the command with `error: ...`, exit 1."""
    key = resolve_key(api_key)
    try:
        client = InferJobsClient(url, key)
    except ValueError as exc:
        fail(2, f"--url: {exc}")
    try:
        with client:
            yield client
    except ApiError as exc:
        hint = " (check --api-key or INFERJOBS_API_KEY)" if exc.status_code == 401 else ""
        fail(1, exc.message + hint)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def stdout_console() -> Console:
    """Tables on stdout; a pipe gets wide lines rather than truncated job ids."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def cells(*values: Any) -> list[Text]:
    """Table cells shown as given: text from the server is never read as rich markup."""
    return [Text("" if value is None else str(value)) for value in values]


def when(timestamp: Any) -> str:
    """`2023-09-08T15:51:03.123+0000` as `2023-09-08 15:51:03`."""
    return str(timestamp)[:19].replace("T", " ") if timestamp else "-"


def size(count: Any) -> str:
    if not isinstance(count, int):
        return "-"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} B"
