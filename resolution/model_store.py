"""The trained Splink model of each load, kept under the data directory by model_version.

A load trains (or reuses) a model and stamps every record it resolved with the model's
version; `csenet explain` reads that version off the records and loads exactly that
model, so an explanation never comes from a retrained, different model.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import splink_model as sm

LATEST = "LATEST"


def save(folder: Path, settings: dict, threshold: float) -> str:
    """Write the settings as `<folder>/<model_version>.json` (once) and mark it the latest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    version = sm.model_version(settings, threshold)
    path = folder / f"{version}.json"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"threshold": threshold, "settings": settings}, sort_keys=True))
        tmp.replace(path)
    (folder / LATEST).write_text(version + "\n")
    return version


def load(folder: Path, version: str | None = None) -> tuple[dict, float] | None:
    """(settings, threshold) of `version` (default: the latest load's), or None if not kept."""
    folder = Path(folder)
    if version is None:
        latest = folder / LATEST
        if not latest.exists():
            return None
        version = latest.read_text().strip()
    if not version.replace("-", "").isalnum():
        raise ValueError(f"not a model version: {version!r}")
    path = folder / f"{version}.json"
    if not path.exists():
        return None
    stored = json.loads(path.read_text())
    return stored["settings"], float(stored["threshold"])
