"""Discover the installed predictors through the `inferjobs.predictors` entry-point group."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import entry_points

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.predictors.base import Predictor

GROUP = "inferjobs.predictors"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installed:
    spec: ModelSpec
    predictor: type[Predictor]


def discover(*, include_diagnostic: bool = True) -> dict[str, Installed]:
    """Installed predictors by model key; a package that fails to import is logged and skipped."""
    found: dict[str, Installed] = {}
    for entry in entry_points(group=GROUP):
        try:
            cls = entry.load()
            spec = cls.spec
        except Exception as exc:  # a broken plug-in must not take the service down
            log.warning("predictor %s could not be loaded: %s", entry.name, exc)
            continue
        if not isinstance(spec, ModelSpec) or not issubclass(cls, Predictor):
            log.warning("entry point %s is not an inferjobs Predictor; skipped", entry.name)
            continue
        if spec.diagnostic and not include_diagnostic:
            continue
        if not cls.available():
            log.info("model %s is not available here (optional dependency missing)", spec.key)
            continue
        found[spec.key] = Installed(spec, cls)
    return found
