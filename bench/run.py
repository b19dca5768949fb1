"""The one command: python bench/run.py [--smoke] [--only NAME] [--rounds N] [--out FILE].

Creates bench/.venv with the baseline packages (bench/requirements.txt) and the project
itself (pip install -e .) when missing or stale, then runs the suite inside it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed"


def fingerprint() -> str:
    files = (BENCH / "requirements.txt", BENCH / "run.py", ROOT / "pyproject.toml")
    data = b"".join(p.read_bytes() for p in files)
    return hashlib.sha256(data).hexdigest()


def ensure_venv() -> None:
    """Create or refresh bench/.venv; skipped when its requirements did not change."""
    if STAMP.exists() and STAMP.read_text() == fingerprint():
        return
    if not PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # torch first and pinned (CPU build) for the embeddings model, as scripts/test does
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    project = f"{ROOT}[embeddings]"
    subprocess.run([*pip, "-r", str(BENCH / "requirements.txt"), "-e", project], check=True)
    STAMP.write_text(fingerprint())


def main() -> int:
    if Path(sys.prefix).resolve() != VENV.resolve():
        ensure_venv()
        paths = [os.environ.get("PYTHONPATH", ""), str(ROOT)]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        os.execve(str(PYTHON), [str(PYTHON), __file__, *sys.argv[1:]], env)
    sys.path.insert(0, str(ROOT))
    from bench import suite

    return suite.main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
