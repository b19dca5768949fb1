"""The modzy-sdk virtual environment and the runner of SDK scripts.

modzy-sdk 0.11.6 pins protobuf 4.21, so it lives in its own virtual environment,
`<repo root>/.venv-compat`, made once and reused while it can import the SDK. Each test hands a
short script to `SdkRunner.run(...)`; the script runs under that environment's Python (see
sdk_harness.py), talks to a real `inferjobs serve` process and hands back JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess

SDK_REQUIREMENT = "modzy-sdk==0.11.6"
SDK_VERSION = SDK_REQUIREMENT.split("==")[1]
REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_DIR = REPO_ROOT / ".venv-compat"
HARNESS = Path(__file__).with_name("sdk_harness.py")
RESULT = "@@compat-result@@ "
CHECKPOINT = "@@compat-checkpoint@@ "
PIP_TIMEOUT_S = 900

Checkpoint = Callable[[str, Any], Any]


class SdkVenvError(Exception):
    """The SDK's virtual environment could not be made; the message holds pip's output."""


# ---- the SDK's virtual environment ---------------------------------------------------------
def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _sdk_importable(python: Path) -> bool:
    if not python.exists():
        return False
    probe = (
        "import importlib.metadata as m, modzy, modzy.error, sys; "
        f"sys.exit(0 if m.version('modzy-sdk') == {SDK_VERSION!r} else 1)"
    )
    try:
        done = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@contextlib.contextmanager
def _venv_lock(venv: Path) -> Iterator[None]:
    """Serialise venv creation across processes (pytest-xdist workers); POSIX only."""
    try:
        import fcntl
    except ImportError:  # Windows: no xdist-safe lock, creation just runs
        yield
        return
    digest = hashlib.sha256(str(venv).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"inferjobs-compat-venv-{digest}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run_or_raise(args: list[str], what: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SdkVenvError(f"{what} failed: {exc!r}") from exc
    if done.returncode != 0:
        raise SdkVenvError(
            f"{what} failed (exit {done.returncode}): {' '.join(args)}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"
        )


def ensure_sdk_venv(venv: Path = VENV_DIR) -> Path:
    """The venv's Python with modzy-sdk importable; created (or repaired) when needed."""
    python = venv_python(venv)
    with _venv_lock(venv):
        if _sdk_importable(python):
            return python
        if not python.exists():
            _run_or_raise([sys.executable, "-m", "venv", "--clear", str(venv)], "creating the venv")
        _run_or_raise(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                SDK_REQUIREMENT,
            ],
            f"pip install {SDK_REQUIREMENT}",
        )
        if not _sdk_importable(python):
            raise SdkVenvError(
                f"{SDK_REQUIREMENT} was installed into {venv} but `import modzy` still fails"
            )
    return python


# ---- running SDK scripts -------------------------------------------------------------------
class SdkRunner:
    """Runs SDK scripts (see sdk_harness.py) against one server."""

    def __init__(self, python: Path | SdkVenvError, server: ServerProcess, scripts: Path) -> None:
        self.python = python
        self.server = server
        self.scripts = scripts
        self._count = 0
        self._lock = threading.Lock()

    def new_key(self, name: str, *extra: str) -> str:
        """A new API key made with `inferjobs keys create` (not an admin unless asked)."""
        printed = self.server.cli("keys", "create", "--name", name, *extra).stdout
        key = (printed.strip().splitlines() or [""])[-1].strip()
        assert key.count(".") == 1, f"unexpected `keys create` output: {printed!r}"
        return key

    def run(
        self,
        script: str,
        *,
        key: str | None = None,
        params: dict[str, Any] | None = None,
        server: ServerProcess | None = None,
        on_checkpoint: Checkpoint | None = None,
        timeout: float = 120,
    ) -> Any:
        """Run `script` under the SDK's Python; returns what it passed to emit()."""
        if isinstance(self.python, SdkVenvError):  # every SDK test fails with pip's output
            pytest.fail(f"no modzy-sdk environment: {self.python}", pytrace=False)
        target = server or self.server
        with self._lock:
            self._count += 1
            number = self._count
        path = self.scripts / f"script_{number:03d}.py"
        path.write_text(textwrap.dedent(script).strip() + "\n", encoding="utf-8")
        context = {
            "url": target.url,
            "api": target.api,
            "key": key or target.key,
            "params": params or {},
        }
        env = {**os.environ, "COMPAT_CONTEXT": json.dumps(context), "PYTHONUNBUFFERED": "1"}
        env.pop("PYTHONPATH", None)
        stderr_path = path.with_suffix(".stderr")
        with (
            stderr_path.open("w+", encoding="utf-8") as stderr,
            subprocess.Popen(
                [str(self.python), str(HARNESS), str(path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=env,
            ) as process,
        ):
            killed = threading.Event()

            def kill() -> None:
                killed.set()
                process.kill()

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                results, other = self._talk(process, on_checkpoint)
                code = process.wait()
            finally:
                timer.cancel()
                if process.poll() is None:
                    process.kill()
                    process.wait()
            stderr.seek(0)
            errors = stderr.read()
        why = f" (killed after {timeout} s)" if killed.is_set() else ""
        report = (
            f"SDK script {path.name} exited {code}{why}\n--- script ---\n{path.read_text()}"
            f"--- stdout ---\n{''.join(other)}--- stderr ---\n{errors}"
        )
        if code != 0:
            pytest.fail(report, pytrace=False)
        if len(results) != 1:
            pytest.fail(f"expected one emit(), got {len(results)}\n{report}", pytrace=False)
        return results[0]

    @staticmethod
    def _talk(
        process: subprocess.Popen[str], on_checkpoint: Checkpoint | None
    ) -> tuple[list[Any], list[str]]:
        assert process.stdout is not None and process.stdin is not None
        results: list[Any] = []
        other: list[str] = []
        for line in process.stdout:
            if line.startswith(RESULT):
                results.append(json.loads(line[len(RESULT) :]))
            elif line.startswith(CHECKPOINT):
                asked = json.loads(line[len(CHECKPOINT) :])
                if on_checkpoint is None:
                    raise AssertionError(f"script reached checkpoint {asked['name']} unhandled")
                reply = on_checkpoint(asked["name"], asked["data"])
                process.stdin.write(json.dumps(reply) + "\n")
                process.stdin.flush()
            else:
                other.append(line)
        process.stdin.close()
        return results, other
