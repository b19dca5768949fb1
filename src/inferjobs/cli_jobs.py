"""Job commands of the CLI (talk HTTP to a server)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the job commands to `app`."""
