"""A throwaway PostgreSQL server of our own, so a test may stop and restart it.

The machine's PostgreSQL is shared by every test and developer: never restart it. This one
lives in a temporary directory, listens on a free loopback port, and is removed afterwards.
PostgreSQL refuses to run as root, so under root it runs as the `postgres` user (runuser).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.support.server import free_port

SERVER_USER = "postgres"


def bin_dir() -> Path | None:
    """PostgreSQL's server programs (initdb, pg_ctl), from pg_config; None when absent."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    path = Path(found.stdout.strip())
    return path if (path / "initdb").exists() and (path / "pg_ctl").exists() else None


class Cluster:
    """initdb + pg_ctl on a temporary directory; `restart` takes it down for a while."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.port = free_port()
        # Not below pytest's tmp_path: its parents are private to root.
        self.root = Path(tempfile.mkdtemp(prefix="inferjobs-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.restarts = 0

    @property
    def admin_url(self) -> str:
        return f"postgresql://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, SERVER_USER)
        self._run("initdb", "-D", str(self.data), "-U", SERVER_USER, "-A", "trust", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\nfsync = off\n"
                "max_connections = 200\n"
            )

    def start(self) -> None:
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log))

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-w", "-t", "60", "-m", mode)

    def restart(self, down_seconds: float, mode: str = "fast") -> None:
        """Stop (fast: like a clean shutdown; immediate: like a crash), wait, start again."""
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-w", "-m", "immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args, check=check)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}\n{done.stderr}")
