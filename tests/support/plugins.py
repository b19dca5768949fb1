"""The test model package under tests/fixtures/plugins, put on PYTHONPATH as if pip-installed."""

from __future__ import annotations

import os
from pathlib import Path

PLUGINS = Path(__file__).parents[1] / "fixtures" / "plugins"


def plugin_env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(PLUGINS), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path}
