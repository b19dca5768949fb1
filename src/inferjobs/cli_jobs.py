"""Job commands of the CLI (talk HTTP to a server through inferjobs.client)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from inferjobs import cli_listings
from inferjobs.cli_support import (
    DEFAULT_URL,
    JsonOption,
    KeyOption,
    UrlOption,
    fail,
    print_json,
    session,
    when,
)
from inferjobs.client import TERMINAL_STATUSES, InferJobsClient, Json

POLL_FIRST_SECONDS = 0.05
POLL_MAX_SECONDS = 1.0
JobId = Annotated[
    str, typer.Argument(metavar="JOB_ID", help="The job identifier.", show_default=False)
]


def register(app: typer.Typer) -> None:
    """Add the job commands to `app`."""
    models_app = typer.Typer(help="Models served by the server.", no_args_is_help=True)
    models_app.command("list")(cli_listings.models_list)
    models_app.command("show")(cli_listings.models_show)
    app.add_typer(models_app, name="models")
    app.command()(submit)
    app.command()(status)
    app.command()(results)
    app.command()(cancel)
    app.command()(cli_listings.history)


# submit


def pauses() -> Iterator[float]:
    """Poll intervals: quick at first (small jobs end in milliseconds), then once a second."""
    pause = POLL_FIRST_SECONDS
    while True:
        yield pause
        pause = min(POLL_MAX_SECONDS, pause * 2)


def collect_items(
    texts: list[str], named: list[str], files: list[Path], dirs: list[Path]
) -> dict[str, str | bytes]:
    """Items by name: text values are str, file contents bytes. Exits 2 on a bad request."""
    found: dict[str, str | bytes] = {}

    def add(name: str, value: str | bytes) -> None:
        if not name:
            fail(2, "an item name is empty")
        if name in found:
            fail(2, f"two items are named {name!r}; item names must be unique")
        found[name] = value

    for number, text in enumerate(texts, start=1):
        add(f"item-{number}", text)
    for pair in named:
        name, sep, text = pair.partition("=")
        if not sep:
            fail(2, f"--item: expected NAME=TEXT; got {pair!r}")
        add(name, text)
    for path in [*files, *(f for d in dirs for f in _files_in(d))]:
        add(path.name, path.read_bytes())
    if not found:
        fail(2, "nothing to submit: give --text, --item, --file or --dir")
    return found


def _files_in(directory: Path) -> list[Path]:
    found = sorted(p for p in directory.iterdir() if p.is_file())
    if not found:
        fail(2, f"--dir: {directory} holds no regular files")
    return found


def first_input(client: InferJobsClient, model_id: str, version: str) -> str:
    inputs = client.version(model_id, version).get("inputs") or []
    if not inputs:
        fail(1, f"model {model_id} {version} declares no inputs; pass --input NAME")
    return str(inputs[0]["name"])


def send(
    client: InferJobsClient,
    model_id: str,
    version: str,
    input_name: str,
    items: dict[str, str | bytes],
    explain: bool,
    timeout_ms: int | None,
) -> Json:
    """Text items go as `text`; any file among them sends them all `embedded`."""
    if all(isinstance(v, str) for v in items.values()):
        texts = {name: {input_name: str(v)} for name, v in items.items()}
        return client.submit_text(model_id, version, texts, explain, timeout_ms)
    blobs = {
        name: {input_name: v.encode() if isinstance(v, str) else v} for name, v in items.items()
    }
    return client.submit_embedded(model_id, version, blobs, explain, timeout_ms)


def done_count(job: Json) -> int:
    return int(job.get("completed") or 0) + int(job.get("failed") or 0)


def wait_for_job(client: InferJobsClient, job: Json) -> Json:
    """Poll the job until it is terminal, with a progress bar on stderr."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    job_id = job["jobIdentifier"]
    try:
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task(job["status"], total=int(job.get("total") or 0))
            waits = pauses()
            while job.get("status") not in TERMINAL_STATUSES:
                time.sleep(next(waits))
                job = client.job(job_id)
                progress.update(task, completed=done_count(job), description=job["status"])
    except KeyboardInterrupt:
        fail(130, f"stopped waiting; job {job_id} goes on (`inferjobs cancel {job_id}` stops it)")
    return job


def summary(job: Json) -> str:
    line = (
        f"job {job['jobIdentifier']} {job['status']}: {job.get('total', 0)} items, "
        f"{job.get('completed', 0)} completed, {job.get('failed', 0)} failed"
    )
    if job.get("canceled"):
        line += f", {job['canceled']} canceled"
    elapsed = job.get("elapsedTime")
    if not isinstance(elapsed, int | float):
        return line
    return f"{line} in {elapsed:.0f} ms" if elapsed < 1000 else f"{line} in {elapsed / 1000:.1f} s"


def submit(
    model_id: Annotated[
        str, typer.Argument(metavar="MODEL_ID", help="Model identifier.", show_default=False)
    ],
    version: Annotated[
        str, typer.Argument(metavar="VERSION", help="Model version.", show_default=False)
    ],
    text: Annotated[
        list[str] | None,
        typer.Option("--text", metavar="TEXT", help="A text item (named item-1, item-2...)."),
    ] = None,
    item: Annotated[
        list[str] | None, typer.Option(metavar="NAME=TEXT", help="A named text item.")
    ] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="PATH", exists=True, dir_okay=False, help="A file item, named after the file."
        ),
    ] = None,
    directory: Annotated[
        list[Path] | None,
        typer.Option(
            "--dir", metavar="DIR", exists=True, file_okay=False, help="One item per file in DIR."
        ),
    ] = None,
    input_name: Annotated[
        str | None,
        typer.Option("--input", metavar="NAME", help="Model input name; default: its first input."),
    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Ask for explanations.")] = False,
    timeout: Annotated[
        int | None,
        typer.Option(min=1, metavar="MS", help="Job timeout in milliseconds.", show_default=False),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job ends.")] = False,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """Submit a job; print its id (with --wait: wait, exit 1 unless every item succeeded)."""
    items = collect_items(text or [], item or [], file or [], directory or [])
    with session(url, api_key) as client:
        name = input_name or first_input(client, model_id, version)
        job = send(client, model_id, version, name, items, explain, timeout)
        if wait:
            job = wait_for_job(client, job)
    if as_json:
        print_json(job)
    elif not wait:
        typer.echo(job["jobIdentifier"])
    if wait:
        typer.echo(summary(job), err=as_json)
        if job["status"] != "COMPLETED" or job.get("failed"):
            raise typer.Exit(1)


# one job


def status(
    job_id: JobId,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """Show a job's status and item counts."""
    with session(url, api_key) as client:
        job = client.job(job_id)
    if as_json:
        print_json(job)
        return
    model = job.get("model") or {}
    typer.echo(summary(job))
    typer.echo(
        f"model: {model.get('name', '')} ({model.get('identifier', '')} {model.get('version', '')})"
    )
    typer.echo(f"pending: {job.get('pending', 0)}, submitted by: {job.get('submittedBy', '')}")
    typer.echo(
        f"submitted: {when(job.get('submittedAt'))}, started: {when(job.get('startedAt'))}"
        f", finished: {when(job.get('finishedAt'))} (UTC)"
    )


def results(
    job_id: JobId,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the results are final.")] = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """Print a job's results as JSON."""
    with session(url, api_key) as client:
        found = client.results(job_id)
        waits = pauses()
        while wait and not found.get("finished"):
            time.sleep(next(waits))
            found = client.results(job_id)
    print_json(found)


def cancel(job_id: JobId, url: UrlOption = DEFAULT_URL, api_key: KeyOption = None) -> None:
    """Cancel a job: pending items are dropped, running ones interrupted."""
    with session(url, api_key) as client:
        job = client.cancel(job_id)
    if job.get("status") == "CANCELED":
        typer.echo(f"job {job_id} CANCELED")
    else:
        typer.echo(f"job {job_id} had already ended: {job.get('status')}")
