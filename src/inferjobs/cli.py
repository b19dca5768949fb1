"""The `inferjobs` command: server-side commands here, job commands in cli_jobs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from inferjobs import cli_jobs, logs
from inferjobs.config import Settings
from inferjobs.errors import InferJobsError, ServiceUnavailable

if TYPE_CHECKING:
    from inferjobs.runtime import Runtime

app = typer.Typer(
    help="Asynchronous ML inference jobs with a Modzy-compatible API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
cli_jobs.register(app)
out = Console(width=None if sys.stdout.isatty() else 200)  # pipes get whole lines
DATABASE_RETRY_SECONDS = 2.0
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        help="Data directory (SQLite file, blobs).", envvar="INFERJOBS_DATA_DIR", show_envvar=False
    ),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db."),
]


def settings_from(data_dir: Path | None = None, database_url: str | None = None) -> Settings:
    """Settings from the environment, then CLI flags on top; bad settings exit with a message."""
    try:
        settings = Settings()
    except ValueError as exc:
        err.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None
    if data_dir is not None:
        settings.data_dir = data_dir
    if database_url:
        settings.database.url = database_url
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _runtime(settings: Settings, *, wait_for_database: bool = False) -> Runtime:
    from inferjobs.runtime import Runtime  # heavy (SQLAlchemy, Alembic): only when needed

    try:
        runtime = Runtime.build(settings)
        runtime.prepare()
    except ServiceUnavailable:
        if wait_for_database:
            raise
        err.print("[red]cannot start:[/red] the database is unavailable")
        raise typer.Exit(1) from None
    except InferJobsError as exc:
        err.print(f"[red]cannot start:[/red] {exc.message}")
        raise typer.Exit(1) from None
    return runtime


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    slots: Annotated[
        int | None,
        typer.Option(
            "--slots",
            "--workers",
            help="Concurrent batches of the in-process worker (default: one per CPU core).",
        ),
    ] = None,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="API only.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the API (and, unless --no-worker, in-process workers)."""
    import uvicorn

    from inferjobs.api.app import create_app

    settings = settings_from(data_dir, database_url)
    runtime = _runtime(settings)
    key = default_key(runtime)
    url = f"http://{host}:{port}"
    out.print(
        f"[bold green]inferjobs[/bold green] serving on [bold]{url}/api[/bold]"
        f" ({_describe_db(settings)}; {'no' if no_worker else 'with an'} in-process worker)"
    )
    if key:
        out.print(f"API key: [bold]{key}[/bold]  (saved in {settings.default_key_file})")
        out.print(
            "Try:\n"
            f"  curl -H 'Authorization: ApiKey {key}' {url}/api/models\n"
            f"  {_command()} submit ed542963de 1.0.1 --text 'inferjobs is great!' --wait\n"
            f"  OpenAPI docs: {url}/docs"
        )
    uvicorn.run(
        create_app(runtime, worker=not no_worker, slots=slots),
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,
        log_config=None,
    )


def _command() -> str:
    """How this shell reaches the `inferjobs` command (e.g. .venv/bin/inferjobs)."""
    invoked = Path(sys.argv[0])
    if invoked.name == "inferjobs" and invoked.exists() and not shutil.which("inferjobs"):
        return os.path.relpath(invoked)
    return "inferjobs"


def _describe_db(settings: Settings) -> str:
    url = settings.database_url
    return (
        f"SQLite {url.removeprefix('sqlite:///')}"
        if url.startswith("sqlite")
        else (url.split("://")[0] + "://…" + url.rsplit("@", 1)[-1])
    )


def default_key(runtime: Runtime) -> str | None:
    """The embedded set-up's admin key: created on first start, kept in the data directory."""
    path = runtime.settings.default_key_file
    if path.exists():
        key = path.read_text().strip()
        if runtime.keys.is_valid(key):
            return key
    if runtime.keys.list() and not path.exists():
        return None  # keys were made by hand: do not add another
    key = runtime.keys.create("default", admin=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    return key


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes to run.")] = 1,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run workers only (for production: many per host, many hosts)."""
    stop = threading.Event()
    _stop_on_signals(stop.set)  # before anything slow: a SIGTERM at start-up is honoured too
    settings = settings_from(data_dir, database_url)
    if processes > 1:
        raise typer.Exit(_run_children(processes))
    runtime = _runtime_when_ready(settings, stop)
    from inferjobs.worker.worker import Worker

    one = Worker(settings, runtime.db, runtime.blobs, runtime.installed)
    out.print(f"worker {one.id} serving {', '.join(one.served)}")
    thread = threading.Thread(target=one.run, name="worker", daemon=True)
    thread.start()
    while thread.is_alive() and not stop.wait(0.5):
        pass
    one.stop()  # stop claiming; running batches get the grace period, then are given back
    thread.join(settings.worker.stop_grace_seconds + 5)
    runtime.close()


def _runtime_when_ready(settings: Settings, stop: threading.Event) -> Runtime:
    """The runtime, waiting for the database if it is down (a worker outlives an outage)."""
    while True:
        try:
            return _runtime(settings, wait_for_database=True)
        except ServiceUnavailable as exc:
            err.print(f"[yellow]waiting for the database:[/yellow] {exc.message}")
        if stop.wait(DATABASE_RETRY_SECONDS):
            raise typer.Exit(0)


def _stop_on_signals(stop: Any) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop())


def _run_children(count: int) -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--processes")]
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "inferjobs", *args, "--processes", "1"], env=os.environ.copy()
        )
        for _ in range(count)
    ]

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, forward)
    return max(child.wait() for child in children)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply the database migrations (also done on every start)."""
    settings = settings_from(data_dir, database_url)
    _runtime(settings).close()
    out.print(f"database is up to date ({_describe_db(settings)})")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    admin: Annotated[bool, typer.Option("--admin", help="Sees the whole account.")] = False,
    high_priority: Annotated[
        bool, typer.Option("--high-priority", help="Its jobs run first.")
    ] = False,
    account: Annotated[str, typer.Option(help="Account the key belongs to.")] = "default",
    email: Annotated[str, typer.Option(help="E-mail of the key's user.")] = "",
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API key and print it (this is the only time the secret is shown)."""
    runtime = _runtime(settings_from(data_dir, database_url))
    key = runtime.keys.create(
        name, admin=admin, high_priority=high_priority, account=account, email=email
    )
    typer.echo(key)


@keys_app.command("list")
def keys_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List API keys (prefixes only; secrets are never stored)."""
    from rich.table import Table

    from inferjobs.services.wire import timestamp

    runtime = _runtime(settings_from(data_dir, database_url))
    table = Table("prefix", "name", "account", "admin", "high priority", "created", "revoked")
    for k in runtime.keys.list():
        table.add_row(
            k.prefix,
            k.name,
            k.account_id,
            str(k.is_admin),
            str(k.high_priority),
            timestamp(k.created_at),
            timestamp(k.revoked_at) or "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(prefix: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Revoke an API key by its prefix; it stops working at once."""
    runtime = _runtime(settings_from(data_dir, database_url))
    try:
        runtime.keys.revoke(prefix)
    except InferJobsError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    out.print(f"revoked {prefix}")


def main() -> None:
    app()
