"""Read-only CLI listings: `models list`, `models show` and `history`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from inferjobs.cli_support import (
    DEFAULT_URL,
    JsonOption,
    KeyOption,
    UrlOption,
    cells,
    print_json,
    session,
    size,
    stdout_console,
    when,
)
from inferjobs.client import Json


def models_list(
    url: UrlOption = DEFAULT_URL, api_key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """List the models: id, name, latest version, live workers (or why none), description."""
    with session(url, api_key) as client:
        found = client.models()
    if as_json:
        print_json(found)
        return
    table = Table("id", "name", "latest version", "workers", "description")
    for model in found:
        workers = str(model.get("liveWorkers", "?"))
        if model.get("unavailableReason"):
            workers = f"0: {model['unavailableReason']}"
        table.add_row(
            *cells(
                model.get("modelId") or model.get("identifier"),
                model.get("name"),
                model.get("latestVersion"),
                workers,
                model.get("description"),
            )
        )
    stdout_console().print(table)


def models_show(
    model_id: Annotated[
        str, typer.Argument(metavar="MODEL_ID", help="Model identifier.", show_default=False)
    ],
    version: Annotated[str | None, typer.Option(help="Version; default: the latest.")] = None,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a model version: inputs, outputs, timeouts, whether it can explain."""
    with session(url, api_key) as client:
        model = client.model(model_id)
        found = client.version(model_id, version or str(model.get("latestVersion", "")))
    if as_json:
        print_json(found)
        return
    console = stdout_console()
    console.print(Text(f"{model.get('name', model_id)} ({model_id} {found['version']})", "bold"))
    console.print(Text(str(model.get("description", ""))))
    timeout = found.get("timeout") or {}
    console.print(
        f"timeouts: status {timeout.get('status', '-')} ms, run {timeout.get('run', '-')} ms"
        f", job {timeout.get('job', '-')} ms"
    )
    console.print(f"can explain: {'yes' if found.get('canExplain') else 'no'}")
    console.print(
        spec_table("inputs", "accepted media types", "acceptedMediaTypes", found.get("inputs")),
        spec_table("outputs", "media type", "mediaType", found.get("outputs")),
    )


def spec_table(title: str, media_title: str, media_key: str, specs: Any) -> Table:
    """Inputs or outputs of a model version: name, media types, maximum size, description."""
    table = Table("name", media_title, "maximum size", "description", title=title)
    for spec in specs or []:
        table.add_row(
            *cells(spec.get("name"), spec.get(media_key)),
            size(spec.get("maximumSize")),
            *cells(spec.get("description")),
        )
    return table


def history(
    user: Annotated[str | None, typer.Option(help="Submitter name or e-mail.")] = None,
    access_key: Annotated[str | None, typer.Option(help="API key prefix.")] = None,
    start_date: Annotated[str | None, typer.Option(help="ISO 8601, e.g. 2024-01-31.")] = None,
    end_date: Annotated[str | None, typer.Option(help="ISO 8601; needs --start-date.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (or identifier).")] = None,
    status: Annotated[
        str, typer.Option(help="all, pending, terminated, timedout or a job status.")
    ] = "all",
    sort_by: Annotated[str | None, typer.Option(help="e.g. createdAt, status, model.")] = None,
    direction: Annotated[str | None, typer.Option(help="ASC or DESC.")] = None,
    page: Annotated[int | None, typer.Option(min=1, help="Page number, from 1.")] = None,
    per_page: Annotated[int | None, typer.Option(min=1, help="Jobs per page.")] = None,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """List past jobs, with the server's history filters."""
    with session(url, api_key) as client:
        found, more = client.history(
            user=user,
            access_key=access_key,
            start_date=start_date,
            end_date=end_date,
            model=model,
            status=status,
            sort_by=sort_by,
            direction=direction,
            page=page,
            per_page=per_page,
        )
    if as_json:
        print_json(found)
    else:
        stdout_console().print(history_table(found))
    if more:
        typer.echo(f"more jobs on page {(page or 1) + 1} (--page {(page or 1) + 1})", err=True)


def history_table(jobs: list[Json]) -> Table:
    table = Table("id", "model", "status", "total/completed/failed", "submitted at (UTC)")
    for job in jobs:
        model = job.get("model") or {}
        table.add_row(
            *cells(
                job.get("jobIdentifier"),
                f"{model.get('identifier', '')} {model.get('version', '')}",
                job.get("status"),
                f"{job.get('total', 0)}/{job.get('completed', 0)}/{job.get('failed', 0)}",
                when(job.get("submittedAt")),
            )
        )
    return table
